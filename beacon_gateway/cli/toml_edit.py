"""The CLI's one config editor: set keys of a TOML section, keeping the rest of the text.

``enroll`` writes ``[gateway]``, ``calibrate`` writes ``[presence]``; comments and every other
key stay as the installer left them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = ["set_toml_keys"]


def set_toml_keys(text: str, section: str, values: Mapping[str, str | float]) -> str:
    """Set keys of one ``[section]`` in TOML text, keeping everything else (comments included).

    A missing section is added (``[gateway]`` first in the file, any other last), a missing key
    goes first in its section.
    """
    header = f"[{section}]"
    lines = text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.strip().split("#")[0].strip() == header),
        None,
    )
    if start is None:
        if section == "gateway":
            lines[:0] = [header, ""]
            start = 0
        else:
            if lines and lines[-1].strip():
                lines.append("")
            lines.append(header)
            start = len(lines) - 1
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
        len(lines),
    )
    for key, value in values.items():
        rendered = f"{key} = {json.dumps(value)}"
        for i in range(start + 1, end):
            if lines[i].split("=")[0].strip() == key:
                lines[i] = rendered
                break
        else:
            lines.insert(start + 1, rendered)
            end += 1
    return "\n".join(lines) + "\n"
