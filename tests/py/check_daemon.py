#!/usr/bin/env python3
"""Checks a running `mailfts serve` with Python grpcio (run by tests/daemon.rs).

Uses the documented example client (docs/examples/mailfts_client.py): a search finds the word,
a call without the token is refused, a bad program names its byte position, and server
reflection (grpcio-reflection's v1alpha stubs) lists mailfts.v1.Mailfts. Exit 0 when all hold.
"""

import argparse
import os
import sys

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "docs", "examples"))
import mailfts_client  # noqa: E402


def reflection_services(addr, metadata):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(grpc.insecure_channel(addr))
    reqs = iter([reflection_pb2.ServerReflectionRequest(list_services="")])
    names = []
    for resp in stub.ServerReflectionInfo(reqs, metadata=metadata):
        names.extend(s.name for s in resp.list_services_response.service)
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--word", required=True)
    ap.add_argument("--proto", required=True)
    a = ap.parse_args()

    c = mailfts_client.Client(a.addr, a.token, a.proto)
    found, resp = c.search(a.user, f"BODY {a.word}", all_mailboxes=True)
    hits = [uid for uids in found.values() for uid in uids]
    assert len(hits) == 1, f"expected one message with {a.word}: {found}"

    anon = mailfts_client.Client(a.addr, "", a.proto)
    try:
        anon.search(a.user, "ALL")
        raise AssertionError("a search without the token was answered")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e

    try:
        c.search(a.user, "SINCE 31-Feb-2024")
        raise AssertionError("a bad program was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert "at byte 6" in e.details(), e.details()

    try:
        c.search("mallory", "ALL")
        raise AssertionError("an unknown user was answered")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e

    names = reflection_services(a.addr, c.metadata)
    assert "mailfts.v1.Mailfts" in names, names

    st = c.status(a.user)
    assert st.user.has_index and st.daemon.users >= 1, st
    print(f"python client ok: {len(hits)} hit, services {sorted(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
