"""JSON bodies: DRF's parser, refusing what would crash a view instead of reaching it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """Also a 400 for JSON nested past the interpreter's recursion limit, and for strings holding
    an unpaired surrogate escape ("\\ud800"): valid JSON, but not Unicode, so no database or
    encoder downstream can store it."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - a string holds an unpaired surrogate "
                             "(\\ud800-\\udfff), which is not Unicode text.") from None
        return data
