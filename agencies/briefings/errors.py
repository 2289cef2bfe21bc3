"""Errors of the briefing renderer."""


class BriefingRenderError(Exception):
    """A briefing that cannot be built as asked: trying again will not help.

    Its message is shown to researchers and stored on the job, so it names the problem (an unknown
    agency, a bad filter, a refused fetch) and never carries text from confidential notes.
    """


class RefusedFetchError(BriefingRenderError):
    """The renderer asked for something outside the bundled assets; the render is void."""

    def __init__(self, refused: list[str]):
        self.refused = list(refused)
        shown = ", ".join(self.refused[:5])
        more = f" and {len(self.refused) - 5} more" if len(self.refused) > 5 else ""
        super().__init__(f"The briefing asked for resources outside its bundled assets: {shown}{more}")


class InfrastructureFault(Exception):
    """Not the briefing's fault: the database, the worker queue or the storage failed under it.

    It costs the briefing no attempt; `cause` says what failed, in words fit for the briefing's row.
    """

    def __init__(self, cause: str):
        self.cause = cause
        super().__init__(cause)


def infrastructure_cause(exc: BaseException, *, storing: bool = False) -> str | None:
    """What failed, if `exc` (or what it was raised from) is a fault of the services, else None.

    Only the kind of fault and the operating system's words are kept: an exception's own text may
    quote SQL parameters, that is the record. With storing=True any other error is the storage's.
    """
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as BrokerError

    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, InterfaceError)):
            return "the database was unreachable"
        if isinstance(current, BrokerError) or type(current).__module__.startswith("redis"):
            return "the worker queue (Redis) was unreachable"
        cause = _storage_cause(current)
        if cause:
            return cause
        current = current.__cause__ or current.__context__
    if storing:
        return f"the storage failed ({type(exc).__name__})"
    return None


def _storage_cause(exc: BaseException) -> str | None:
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the storage is full (no space left on device)"
    refused = (errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO, errno.ENOENT, errno.ENOTDIR)
    if isinstance(exc, OSError) and exc.errno in refused:
        return f"the storage refused the write ({exc.strerror})"
    module = type(exc).__module__
    if module.startswith(("botocore", "boto3", "urllib3", "s3transfer")):
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "unknown")
            return f"the storage refused the request ({code})"
        return f"the storage was unreachable ({type(exc).__name__})"
    return None
