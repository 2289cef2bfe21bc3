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
