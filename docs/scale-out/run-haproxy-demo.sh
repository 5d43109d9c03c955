#!/usr/bin/env bash
# Two mailfts daemons (backends A and B, each with its own users' homes) behind one HAProxy on
# loopback, queried through the proxy with the Python client. Checks that every user is answered
# by the backend that holds its mail, and that a user asked at the wrong backend is NOT_FOUND.
#
#   docs/scale-out/run-haproxy-demo.sh [path/to/mailfts]
#
# Needs haproxy (apt-get install haproxy) and python3 with grpcio, grpcio-tools.
# Exit 0 when every check passes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mailfts="${1:-$root/target/debug/mailfts}"
command -v haproxy >/dev/null || { echo "haproxy not installed" >&2; exit 2; }
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(free_port); pb=$(free_port); pp=$(free_port)
echo "demo-token" > "$work/token"

# backend A holds alice and carol, backend B bob and dave
declare -A backend=([alice]=a [carol]=a [bob]=b [dave]=b)
seed=1
for user in alice carol bob dave; do
    "$mailfts" corpus generate --messages 150 --seed $seed --out "$work/${backend[$user]}/$user" >/dev/null
    echo "$user:{PLAIN}x:1000:1000::$work/${backend[$user]}/$user::" >> "$work/users-${backend[$user]}"
    echo "$user mailfts_${backend[$user]}" >> "$work/users.map"
    seed=$((seed + 1))
done

for b in a b; do
    port=$pa; [ $b = b ] && port=$pb
    "$mailfts" serve --passwd "$work/users-$b" --grpc-listen "127.0.0.1:$port" \
        --grpc-token-file "$work/token" > "$work/serve-$b.out" 2> "$work/serve-$b.log" &
    pids+=($!)
done
sed -e "s|@BIND@|127.0.0.1:$pp|" -e "s|@MAP@|$work/users.map|" \
    -e "s|@BACKEND_A@|127.0.0.1:$pa|" -e "s|@BACKEND_B@|127.0.0.1:$pb|" \
    "$here/haproxy.cfg.in" > "$work/haproxy.cfg"
haproxy -c -f "$work/haproxy.cfg" >/dev/null
haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
pids+=($!)

python3 - "$root" "127.0.0.1:$pp" "127.0.0.1:$pa" "127.0.0.1:$pb" <<'PY'
import sys, time
root, proxy, a, b = sys.argv[1:5]
sys.path.insert(0, f"{root}/docs/examples")
import grpc, mailfts_client

home_of = {"alice": "a", "carol": "a", "bob": "b", "dave": "b"}
via_proxy = mailfts_client.Client(proxy, "demo-token", f"{root}/proto")
direct = {"a": mailfts_client.Client(a, "demo-token", f"{root}/proto"),
          "b": mailfts_client.Client(b, "demo-token", f"{root}/proto")}

deadline = time.time() + 120
for user, where in home_of.items():
    # wait until the backend's startup check indexed the home (asked through the proxy)
    while True:
        try:
            st = via_proxy.status(user).user
            if st.has_index and all(m.in_index == m.in_store for m in st.mailboxes):
                break
        except grpc.RpcError as e:
            if e.code() not in (grpc.StatusCode.UNAVAILABLE,):
                raise
        if time.time() > deadline:
            sys.exit(f"{user}: backend {where} did not index in time")
        time.sleep(0.2)
    found, resp = via_proxy.search(user, "ALL", all_mailboxes=True)
    total = sum(len(u) for u in found.values())
    assert total == 150, (user, total)
    plans = {m.plan.source for m in resp.mailboxes}
    # the other backend does not know the user: a misrouted request would fail
    other = "b" if where == "a" else "a"
    try:
        direct[other].search(user, "ALL")
        sys.exit(f"{user} answered by backend {other}")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e
    print(f"{user}: 150 messages via the proxy from backend {where} ({', '.join(sorted(plans))}); "
          f"backend {other} says NOT_FOUND")
print("scale-out demo: ok")
PY
