# Copyright: contributors to mailauth.dkim
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lab-only filters: read the verdicts a receiver recorded in Authentication-Results headers (RFC 8601).

Used by playbooks/lab/probe.yml (and so by scripts/demo.sh and the lab's tests). Not part of the collection's API.
"""

from __future__ import annotations

import email
import email.policy
import re

# A result: "method=result" then properties such as "header.d=example.com" or a comment in parentheses.
_RESULT = re.compile(r'^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$', re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r'\b([a-z]+\.[a-z0-9_-]+)\s*=\s*("[^"]*"|[^\s;()]+)', re.IGNORECASE)
_COMMENT = re.compile(r'\(([^()]*)\)')


def _split_results(value):
    """Split a header value on the semicolons that are not inside comments or quotes."""
    parts, depth, quoted, current = [], 0, False, []
    for char in value:
        if char == '"' and depth == 0:
            quoted = not quoted
        elif char == '(' and not quoted:
            depth += 1
        elif char == ')' and not quoted and depth:
            depth -= 1
        if char == ';' and depth == 0 and not quoted:
            parts.append(''.join(current))
            current = []
        else:
            current.append(char)
    parts.append(''.join(current))
    return [part.strip() for part in parts]


def authentication_results(message_text, authserv_id):
    """Return the results that `authserv_id` recorded in `message_text` (a whole message or its headers).

    Each result is a dict with `method` (dkim, spf, dmarc, ...), `result` (pass, fail, none, ...),
    `properties` (e.g. {'header.d': 'example.com', 'header.s': 'mail', 'header.a': 'rsa-sha256'}),
    `comment` (text in parentheses, may be empty) and `header` (the header the result came from).
    Headers written by any other authserv-id are ignored, as RFC 8601 asks.
    """
    message = email.message_from_string(message_text, policy=email.policy.compat32)
    results = []
    for raw in message.get_all('Authentication-Results') or []:
        value = ' '.join(str(raw).split())
        parts = _split_results(value)
        if not parts or parts[0].split()[0].lower() != authserv_id.lower():
            continue
        for part in parts[1:]:
            match = _RESULT.match(part)
            if not match:
                continue
            method, result, rest = match.groups()
            properties = {key.lower(): val.strip('"') for key, val in _PROPERTY.findall(rest)}
            comments = _COMMENT.findall(rest)
            results.append({
                'method': method.lower(),
                'result': result.lower(),
                'properties': properties,
                'comment': '; '.join(comments),
                'header': value,
            })
    return results


def message_headers(message_text, names):
    """Return {name: [values]} for the header names asked for, unfolded."""
    message = email.message_from_string(message_text, policy=email.policy.compat32)
    return {name: [' '.join(str(v).split()) for v in message.get_all(name) or []] for name in names}


class FilterModule:
    """Lab filters."""

    def filters(self):
        return {
            'lab_authentication_results': authentication_results,
            'lab_message_headers': message_headers,
        }
