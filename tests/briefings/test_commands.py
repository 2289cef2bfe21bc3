"""render_briefing and request_briefing: the worker's code path from the command line."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agencies.core import services
from agencies.models import Briefing, BriefingStatus
from tests.briefings.job_support import (  # noqa: F401 - fixtures
    agency_with_claim,
    celery_broker,
    closed_port,
    in_process_fixture,
    script_fixture,
)
from tests.factories import UserFactory


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_render_briefing_writes_the_pdf_and_records_the_briefing(script, tmp_path):
    agency_with_claim()
    output = tmp_path / "uspis.pdf"
    out, _ = run("render_briefing", "--agency", "USPIS", "--output", str(output))
    briefing = Briefing.objects.get()
    assert output.read_bytes() == script.pdf_for({"agencies": ["uspis"]}, "public")
    assert out.strip() == f"Briefing #{briefing.pk}: 2 pages, {briefing.size} bytes, written to {output}"
    assert (briefing.status, briefing.audience, briefing.requested_by) == (
        BriefingStatus.SUCCEEDED,
        "public",
        None,
    )
    assert "(in-process)" in briefing.worker


def test_render_briefing_takes_several_agencies_a_filter_and_an_audience(script, tmp_path):
    agency_with_claim()
    agency_with_claim(slug="dhs", acronym="DHS")
    editor = UserFactory(username="ed")
    services.user_set_role(actor=None, user=editor, role="editor", confidential=True)
    run(
        "render_briefing",
        "--agency",
        "uspis",
        "--agency",
        "DHS",
        "--audience",
        "internal",
        "--user",
        "ed",
        "--output",
        str(tmp_path / "a.pdf"),
    )
    run("render_briefing", "--filter", "?status=unverified", "--output", str(tmp_path / "b.pdf"))
    assert script.calls == [
        ({"agencies": ["dhs", "uspis"]}, "internal"),
        ({"filter": "status=unverified"}, "public"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency", "NOPE"], "Unknown agency: NOPE."),
        (["--filter", "colour=red"], "Unknown claims filter: colour"),
        (["--agency", "USPIS", "--filter", "status=disputed"], "not allowed with argument"),
        ([], "one of the arguments --agency --filter is required"),
        (["--agency", "USPIS", "--audience", "everyone"], "invalid choice: 'everyone'"),
    ],
)
def test_render_briefing_refuses_a_bad_scope_with_a_command_error(script, tmp_path, args, message):
    agency_with_claim()
    with pytest.raises(CommandError, match=message):
        run("render_briefing", *args, "--output", str(tmp_path / "x.pdf"))
    assert not Briefing.objects.exists()
    assert script.calls == []


def test_render_briefing_refuses_an_output_folder_that_does_not_exist_before_rendering(script, tmp_path):
    agency_with_claim()
    with pytest.raises(CommandError, match="there is no folder"):
        run("render_briefing", "--agency", "USPIS", "--output", str(tmp_path / "missing" / "x.pdf"))
    assert script.calls == []


def test_render_briefing_that_fails_exits_with_the_reason(script, tmp_path):
    agency_with_claim()
    script.mode = "refused"
    with pytest.raises(CommandError, match=r"Briefing #\d+ failed: .*outside its bundled assets"):
        run("render_briefing", "--agency", "USPIS", "--output", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
    assert Briefing.objects.get().status == BriefingStatus.FAILED


@pytest.mark.django_db(transaction=True)
def test_request_briefing_prints_the_id_and_with_wait_writes_the_pdf(script, tmp_path):
    agency_with_claim()
    out, _ = run("request_briefing", "--agency", "USPIS")
    first = Briefing.objects.get()
    assert out.strip() == str(first.pk)

    # Same data: the same briefing, written out without rendering again.
    output = tmp_path / "again.pdf"
    out, err = run("request_briefing", "--agency", "USPIS", "--wait", "--output", str(output))
    assert out.strip() == str(first.pk)
    assert output.read_bytes() == script.pdf_for({"agencies": ["uspis"]}, "public")
    assert f"written to {output}" in err
    assert len(script.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_request_briefing_wait_exits_non_zero_when_the_briefing_failed(script, tmp_path):
    agency_with_claim()
    script.mode = "refused"
    with pytest.raises(CommandError, match=r"Briefing #\d+ failed: .*outside its bundled assets"):
        run("request_briefing", "--agency", "USPIS", "--wait", "--output", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.django_db(transaction=True)
def test_request_briefing_with_the_queue_down_says_so_and_wait_gives_up_after_its_timeout(script):
    agency_with_claim()
    with celery_broker(f"redis://127.0.0.1:{closed_port()}/0"):
        out, err = run("request_briefing", "--agency", "USPIS")
        briefing = Briefing.objects.get()
        assert out.strip() == str(briefing.pk)
        assert err.strip() == (
            f"Briefing #{briefing.pk} queued, the worker queue is unreachable; it will start when it is back."
        )
        with pytest.raises(CommandError, match=r"is still queued after 0.3 seconds"):
            run(
                "request_briefing",
                "--filter",
                "status=unverified",
                "--wait",
                "--timeout",
                "0.3",
                "--poll",
                "0.1",
            )
    assert Briefing.objects.filter(status=BriefingStatus.QUEUED).count() == 2


def test_request_briefing_output_needs_wait(script, tmp_path):
    with pytest.raises(CommandError, match="--output needs --wait"):
        run("request_briefing", "--agency", "USPIS", "--output", str(tmp_path / "x.pdf"))


@pytest.mark.parametrize("command", ["render_briefing", "request_briefing"])
def test_internal_briefing_from_the_command_line_needs_a_user_allowed_to_see_sources(
    script, tmp_path, command
):
    agency_with_claim()
    researcher = UserFactory(username="res")
    services.user_set_role(actor=None, user=researcher, role="researcher", confidential=False)
    internal = ["--agency", "uspis", "--audience", "internal"]
    if command == "render_briefing":
        internal += ["--output", str(tmp_path / "x.pdf")]
    with pytest.raises(CommandError, match="give --user USERNAME"):
        call_command(command, *internal, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="may not see"):
        call_command(command, *internal, "--user", "res", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No active user 'ghost'"):
        call_command(command, *internal, "--user", "ghost", stdout=io.StringIO(), stderr=io.StringIO())
    assert script.calls == []
