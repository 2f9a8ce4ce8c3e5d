"""Compares our `micro registry ...` JSON output with upstream's transcript copy.

Usage: compare_json.py EXPECTED ACTUAL. Exit 0 when they match, else prints why.
Two checks: ACTUAL is laid out as Go's json.Indent with a tab lays it out (one
key per line, "key": value, [] and {} when empty, a final newline); and both
documents are equal once the values that change from run to run are masked
(node ids and addresses) and the services are in name order (the registry
lists them in no particular order).

Two differences are ours on purpose (DESIGN.md: go further where it helps):
- streaming endpoints: upstream's reflection published every stream's request
  as "Context" and response as "Stream"; ours publishes the real message types
  and a "stream_kind" (server, client, bidi), so dynamic commands, completion
  and the web forms can build requests for streams too. Their schemas are not
  compared; the stream marker is.
- the network service: upstream's served no handler in v3.10 and published no
  endpoints; ours serves Network.* (single-node routes), so it lists them."""
import json
import sys


def masked(doc):
    services = doc.get("services", [])
    for svc in services:
        if svc.get("name") == "network":
            svc["endpoints"] = "<served here, not upstream>"
        for ep in svc.get("endpoints") if isinstance(svc.get("endpoints"), list) else []:
            md = ep.get("metadata") or {}
            if md.get("stream") == "true":
                md.pop("stream_kind", None)
                ep["request"] = ep["response"] = "<stream>"
        for node in svc.get("nodes") or []:
            node["id"] = "<id>"
            node["address"] = "<address>"
    services.sort(key=lambda s: (s.get("name", ""), s.get("version", "")))
    return doc


def main():
    want_text = open(sys.argv[1], encoding="utf-8").read()
    got_text = open(sys.argv[2], encoding="utf-8").read()
    try:
        got = json.loads(got_text)
    except ValueError as e:
        print(f"not JSON: {e}")
        return 1
    layout = json.dumps(got, indent="\t", ensure_ascii=False) + "\n"
    if layout != got_text:
        print("not laid out as Go's json.Indent with a tab")
        return 1
    want = masked(json.loads(want_text))
    got = masked(got)
    if want == got:
        return 0
    for w, g in zip(want.get("services", []), got.get("services", [])):
        if w != g:
            print(f"service {w.get('name')} differs:")
            print(" want:", json.dumps(w, sort_keys=True)[:600])
            print(" got: ", json.dumps(g, sort_keys=True)[:600])
            return 1
    print("different services:", [s.get("name") for s in want.get("services", [])],
          [s.get("name") for s in got.get("services", [])])
    return 1


if __name__ == "__main__":
    sys.exit(main())
