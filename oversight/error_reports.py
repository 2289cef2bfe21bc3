"""What error reports (500 e-mails, logged tracebacks, debug pages) leave out: settings'
DEFAULT_EXCEPTION_REPORTER_FILTER."""

import re

from django.views.debug import SafeExceptionReporterFilter


class ConfidentialExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (500 e-mails, logged tracebacks) never carry a form's confidential fields.

    Django already hides settings named like keys and the variables of functions marked with
    `sensitive_variables`; this also hides any POST field named like a note, whichever form sent it,
    and the password of any URL (CELERY_BROKER_URL, DATABASE_URL in the environment, a variable in a
    traceback), on the debug page too.
    """

    confidential_post = re.compile(r"notes|confidential", re.IGNORECASE)
    # scheme://user:password@host: Django hides settings by name only, and *_URL is not one it hides.
    url_password = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(?=@)", re.IGNORECASE)

    def _mask_urls(self, value):
        if isinstance(value, str) and "@" in value:
            return self.url_password.sub(lambda match: match["head"] + self.cleansed_substitute, value)
        return value

    def cleanse_setting(self, key, value):
        # Settings and request.META (runserver copies the environment into it) go through here.
        return self._mask_urls(super().cleanse_setting(key, value))

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self._mask_urls(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]

    def get_post_parameters(self, request):
        parameters = super().get_post_parameters(request)
        if request is None or not self.is_active(request):
            return parameters
        hidden = [name for name in parameters if self.confidential_post.search(name)]
        if not hidden:
            return parameters
        parameters = parameters.copy()
        for name in hidden:
            parameters[name] = self.cleansed_substitute
        return parameters
