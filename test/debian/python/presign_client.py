"""A Python grpcio client of presignd, with stubs generated on the fly from
proto/ by grpc_tools (Debian: python3-grpcio, python3-grpc-tools).

    /usr/bin/python3 presign_client.py HOST:PORT PROTO_DIR KEY

Prints one JSON line per call: a GetObject answer, then the error of a
GetObject with an empty key.
"""
import importlib
import json
import os
import sys
import tempfile

import grpc
import grpc_tools
from grpc_tools import protoc


def generate(proto_dir: str, out_dir: str) -> None:
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    code = protoc.main([
        "protoc",
        f"-I{proto_dir}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        "presign/v1/presign.proto",
        "buf/validate/validate.proto",  # imported by presign.proto for its annotations
    ])
    if code != 0:
        raise SystemExit(f"protoc failed with {code}")


def main() -> None:
    target, proto_dir, key = sys.argv[1:4]
    with tempfile.TemporaryDirectory() as out_dir:
        generate(proto_dir, out_dir)
        sys.path.insert(0, out_dir)
        pb = importlib.import_module("presign.v1.presign_pb2")
        stubs = importlib.import_module("presign.v1.presign_pb2_grpc")
        with grpc.insecure_channel(target) as channel:
            client = stubs.PresignServiceStub(channel)
            answer = client.GetObject(pb.GetObjectRequest(key=key), timeout=10)
            print(json.dumps({"url": answer.url, "method": answer.method, "expires_at": answer.expires_at.seconds}))
            try:
                client.GetObject(pb.GetObjectRequest(key=""), timeout=10)
                print(json.dumps({"error": None}))
            except grpc.RpcError as error:
                print(json.dumps({"code": error.code().name, "details": error.details()}))


if __name__ == "__main__":
    main()
