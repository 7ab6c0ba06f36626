"""Teach drf-spectacular how Tend authenticates, and how it describes each operation.

`TendAutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) gives every operation, from its path and
action alone, so that no view has to say it:

- a tag per resource, from the path: the last segment that names a resource
  (`/photos/{id}/reviews/` is under reviews, `/photos/{id}/image/` under photos);
- a summary a client can read ("List applications", "Mark an application entered in error"), and
  a description from the handler's own docstring or its view's own (never a base class's: those
  describe Tend's internals, not the operation);
- every error it can answer, as RFC 9457 problem details (the `Problem` component, served as
  application/problem+json): 401 and 403 when it needs a signed-in user, 404 on one object and
  on a page of a list, 400 when it reads a body or query parameters, 413 and 415 with a body,
  409 for a create that takes a client id and for a change of state, 429 for sign-in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_serializer

from api.problems import PROBLEM_CONTENT_TYPE

API_PREFIX = "/api/v1/"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer",
                "description": "A token from POST /api/v1/auth/token/."}


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The PWA's session; unsafe methods need X-CSRFToken."}


# --- Problem details ------------------------------------------------------------------------------
PROBLEM = "Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, served as application/problem+json.",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem; "
                                                  "`about:blank` when the status says it all.",
                 "example": "about:blank"},
        "title": {"type": "string", "description": "The status in words.",
                  "example": "Invalid request"},
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong with this request.",
                   "example": "Check these fields: applied_at."},
        "errors": {
            "type": "object",
            "description": "Each field at fault (nested fields dotted, `body` for the request "
                         "as a whole) with its messages.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"applied_at": ["This time is in the future."]},
        },
    },
    "required": ["type", "title", "status", "detail"],
}
ERROR_DESCRIPTIONS = {
    400: "A field or query parameter is not valid, or the body could not be read: `errors` "
         "names each field.",
    401: "Not signed in, or the token or session is not valid, has expired or was revoked.",
    403: "Signed in, but this role may not do this; or, with the session cookie, the CSRF "
         "check failed.",
    404: "Nothing this user may see is here (another patient's object answers the same), or "
         "the page is past the last one.",
    409: "The request conflicts with what is stored: a client id already used for other "
         "content, or a change the object's state does not allow.",
    413: "The body is larger than this server takes.",
    415: "The body's Content-Type, or the uploaded file's type, is not one this operation takes.",
    429: "Too many failed attempts: try again after `Retry-After` seconds.",
    503: "This server is not set up for it (Web Push without a VAPID key).",
}
ERROR_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"},
                               "description": 'Bearer realm="api" when a token was expected.'}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "required": True,
                          "description": "Seconds to wait before trying again."}},
}

# --- Resources: tags and the nouns of summaries ---------------------------------------------------
# Each tag, by the path segment that names it, with its noun in the singular and the plural.
RESOURCES: dict[str, tuple[str, str]] = {
    "applications": ("application", "applications"),
    "symptoms": ("symptom entry", "symptom entries"),
    "debridements": ("debridement", "debridements"),
    "photos": ("photo", "photos"),
    "reviews": ("review", "reviews"),
    "courses": ("treatment course", "treatment courses"),
    "reports": ("progress report", "progress reports"),
    "alerts": ("alert", "alerts"),
    "patients": ("patient", "patients"),
    "staff": ("staff account", "staff accounts"),
    "audit-events": ("audit event", "audit events"),
    "auth": ("sign-in", "sign-ins"),
    "me": ("signed-in user", "signed-in users"),
    "review-queue": ("photo awaiting review", "photos awaiting review"),
    "caregivers": ("caregiver", "caregivers"),
    "push": ("push subscription", "push subscriptions"),
}
# A viewset action's summary: {a} is the resource in the singular with its article, {many} the
# plural. An action not named here is summarized by its handler's docstring.
ACTION_SUMMARIES = {
    "list": "List {many}",
    "create": "Create {a}",
    "retrieve": "Get {a}",
    "update": "Replace {a}",
    "partial_update": "Update {a}",
    "destroy": "Delete {a}",
    "entered_in_error": "Mark {a} entered in error",
    "history": "List the earlier versions of {a}",
    "acknowledge": "Acknowledge {a}",
    "adherence": "Get the adherence of {a}",
    "timeline": "List the records of {a}, newest first",
    "reports": "Request a progress report of {a}",
    "overview": "List {many} with their adherence and open alerts",
    "care_team": "Add a staff member to the care team of {a}",
    "activation_code": "Issue a new activation code for {a}",
    "image": "Get the image of {a}",
    "thumbnail": "Get the thumbnail of {a}",
    "reviews": "List the reviews of {a}",
    "review_create": "Review {a}",
    "retry": "Process a failed photo again",
    "retake": "Ask the patient for a new photo instead of this one",
    "pdf": "Get the PDF of {a}",
    "caregivers": "List the caregivers of {a}",
    "caregiver_invite": "Invite a caregiver of {a}",
    "reminders": "Get the reminder times of {a}",
    "reminders_update": "Set the reminder times of {a}",
    "reminder_deliveries": "List the reminder messages of {a} and what became of them",
    "test": "Send a test notification to each of the user's own devices",
    "caregivers.destroy": "Revoke a caregiver's access",
    # A resource's own word for an action, as "collection.action".
    "photos.create": "Upload a photo",
}
# Operations of plain API views (no viewset action): a summary, and the errors they answer beyond
# what the general rules give. Sign-in is public, so the rules give it no 401 or 403.
VIEW_OPERATIONS: dict[tuple[str, str], tuple[str, tuple[int, ...]]] = {
    ("auth/token/", "POST"): ("Sign in for a bearer token", (401, 429)),
    ("auth/session/", "POST"): ("Sign in with the session cookie (the PWA)", (401, 403, 429)),
    ("auth/session/", "GET"): ("Say who the session cookie signs in, if anyone", ()),
    ("auth/session/", "DELETE"): ("End the session", (403,)),
    ("auth/csrf/", "GET"): ("Set the CSRF cookie", ()),
    ("auth/logout/", "POST"): ("Sign out: revoke the token, or end the session", ()),
    ("auth/activate/", "POST"): ("Activate a patient's account with her one-time code", (429,)),
    ("me/", "GET"): ("Get the signed-in user", ()),
    ("push/public-key/", "GET"): ("Get the server's VAPID public key", (503,)),
}
# Errors a viewset action answers beyond what the general rules give.
ACTION_ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    # No device subscribed (400), or no VAPID key on this server (503).
    ("push/subscriptions/test/", "POST"): (400, 503),
}
_LIBRARIES = ("rest_framework", "django", "drf_spectacular")


def _with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _own_doc(obj: Any) -> str:
    """A function's or class's own docstring: never one inherited, never a library's."""
    if obj is None or (getattr(obj, "__module__", "") or "").split(".")[0] in _LIBRARIES:
        return ""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    return "\n".join(line.rstrip() for line in (doc or "").strip().splitlines()).strip()


def _dedent(doc: str) -> str:
    lines = doc.splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    cut = min(indents, default=0)
    return "\n".join([lines[0], *(line[cut:] for line in lines[1:])]) if lines else ""


class TendAutoSchema(AutoSchema):
    def _segments(self) -> list[str]:
        return [part for part in self.path.removeprefix(API_PREFIX).split("/") if part]

    def _static_segments(self) -> list[str]:
        return [part for part in self._segments() if not part.startswith("{")]

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _handler(self) -> Any:
        return getattr(self.view, self._action() or self.method.lower(), None)

    def _view_operation(self) -> tuple[str, tuple[int, ...]] | None:
        return VIEW_OPERATIONS.get((self.path.removeprefix(API_PREFIX), self.method))

    # --- tags, summary, description ----------------------------------------------------------
    def get_tags(self) -> list[str]:
        static = self._static_segments()
        for segment in reversed(static):
            if segment in RESOURCES:
                return [segment]
        return static[:1]

    def get_summary(self) -> str | None:
        if (operation := self._view_operation()) is not None:
            return operation[0]
        static = self._static_segments()
        collection = static[0] if static else ""
        one, many = RESOURCES.get(collection, (collection.rstrip("s").replace("-", " "),
                                               collection.replace("-", " ")))
        action = self._action()
        template = ACTION_SUMMARIES.get(f"{collection}.{action}") or ACTION_SUMMARIES.get(action or "")
        if template:
            return template.format(a=_with_article(one), many=many)
        if doc := _own_doc(self._handler()):
            return doc.splitlines()[0].rstrip(".")
        words = (action or self.method.lower()).replace("_", " ")
        return f"{words.capitalize()} {_with_article(one) if '{' in self.path else many}"

    def get_description(self) -> str:  # type: ignore[override]
        """The handler's own docstring, else its view's own when the view has only this
        operation's handler (a viewset's docstring is about its resource: all its operations);
        the first line is dropped when it was used as the summary."""
        action = self._action()
        doc = _own_doc(self._handler())
        if doc and action not in ACTION_SUMMARIES and self._view_operation() is None:
            doc = "\n".join(_dedent(doc).splitlines()[1:]).strip()
        elif not doc:
            handlers = [name for name in self.view.http_method_names
                        if name not in ("head", "options") and hasattr(self.view, name)]
            if action is not None or len(handlers) <= 1:
                doc = _own_doc(type(self.view))
        return _dedent(doc).strip()

    def get_request_serializer(self) -> Any:
        # A viewset that reads its writes with `input_serializer_class` (the records) documents
        # that serializer, not the one it answers with; a correction takes neither id nor course.
        input_class = getattr(self.view, "input_serializer_class", None)
        if input_class is not None and self._action() == "create":
            return input_class
        if input_class is not None and self._action() == "partial_update":
            return input_class(partial_update=True)
        return super().get_request_serializer()

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        # A list on one object (its history, its reviews, its timeline) is not filtered by the
        # viewset's filters, only paginated.
        if "{" in self.path:
            return []
        return super()._get_filter_parameters()

    # --- responses ----------------------------------------------------------------------------
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        self._declare_byte_bodies(responses)
        if self._takes_client_id() and "200" not in responses:
            created = next((code for code in ("201", "202") if code in responses), None)
            if created is not None:
                responses["200"] = {
                    **responses[created],
                    "description": "Already stored under this id with the same content (a "
                                   "retry): the stored object, and nothing new is stored.",
                }
        problem = self._problem_ref()
        for status in sorted(self._error_statuses(operation)):
            responses.setdefault(str(status), self._problem_response(status, problem))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _declare_byte_bodies(self, responses: dict[str, Any]) -> None:
        """A response declared with a media type and no serializer (an image, a PDF) is bytes."""
        declared = self.get_response_serializers()
        if not isinstance(declared, dict):
            return
        for key in declared:
            if isinstance(key, tuple) and len(key) > 1:
                response = responses.get(str(key[0]))
                if response is not None and not response.get("content"):
                    response["content"] = {media: {"schema": {"type": "string", "format": "binary"}}
                                           for media in key[1:]}

    def _problem_ref(self) -> dict[str, str]:
        component = ResolvedComponent(name=PROBLEM, type=ResolvedComponent.SCHEMA, object=PROBLEM,
                                      schema=PROBLEM_SCHEMA)
        self.registry.register_on_missing(component)
        return component.ref

    @staticmethod
    def _problem_response(status: int, schema: dict[str, str]) -> dict[str, Any]:
        response: dict[str, Any] = {"description": ERROR_DESCRIPTIONS[status],
                                    "content": {PROBLEM_CONTENT_TYPE: {"schema": schema}}}
        if status in ERROR_HEADERS:
            response["headers"] = ERROR_HEADERS[status]
        return response

    def _error_statuses(self, operation: dict[str, Any]) -> set[int]:
        statuses: set[int] = set()
        security = operation.get("security", [])
        public = not security or {} in security
        if not public:
            statuses |= {401, 403}
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        detail = any(p["in"] == "path" for p in parameters)
        if detail or "page" in query:
            statuses.add(404)
        body = "requestBody" in operation
        if body or query:
            statuses.add(400)
        if body:
            statuses |= {413, 415}
        unsafe = self.method in ("POST", "PUT", "PATCH", "DELETE")
        if (unsafe and detail) or self._takes_client_id() or self._serves_bytes(operation):
            statuses.add(409)
        if (view_operation := self._view_operation()) is not None:
            statuses |= set(view_operation[1])
        statuses |= set(ACTION_ERRORS.get((self.path.removeprefix(API_PREFIX), self.method), ()))
        return statuses

    def _takes_client_id(self) -> bool:
        """A create whose body may carry the client's own id (offline sync): the same id again
        is a 200 with the stored object, or a 409 if the content differs."""
        if self.method != "POST":
            return False
        return any("id" in fields for fields in self._request_fields())

    def _request_fields(self) -> Iterable[dict[str, Any]]:
        serializer = self.get_request_serializer()
        serializers = serializer.values() if isinstance(serializer, dict) else [serializer]
        for candidate in serializers:
            if is_serializer(candidate):
                instance = force_instance(candidate)
                yield {name: field for name, field in instance.fields.items()
                       if not field.read_only}

    @staticmethod
    def _serves_bytes(operation: dict[str, Any]) -> bool:
        """A file (an image, a PDF) that may not be made yet: 409 until it is."""
        ok = operation["responses"].get("200", {})
        return any(not re.search(r"json", media) for media in ok.get("content", {}))
