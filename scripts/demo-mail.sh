#!/usr/bin/env bash
# Prints the sign-in links of the newest message in `make demo`'s development mailbox (.data/mail).
set -euo pipefail
cd "$(dirname "$0")/.."
newest=$(ls -t .data/mail/*.eml 2>/dev/null | head -n 1 || true)
if [[ -z $newest ]]; then
    echo "no mail yet in .data/mail: submit the sign-in form first" >&2
    exit 1
fi
echo "newest message: $newest" >&2
python3 - "$newest" <<'PY'
import email, email.policy, re, sys
with open(sys.argv[1], "rb") as f:
    body = email.message_from_binary_file(f, policy=email.policy.default).get_content()
links = re.findall(r"https?://\S+/signin/link\?\S+", body)
print("\n".join(links) if links else body)
PY
