"""A throwaway S3 protocol server (moto's server mode) on its own free port on 127.0.0.1, for the
object storage tests and the fault bench: nothing kept on disk, never a real bucket."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.redis_server import free_port

ACCESS_KEY = "oversight-test"
SECRET_KEY = "oversight-test-secret"  # noqa: S105 - moto accepts any credentials
REGION = "us-east-1"


class MotoServer:
    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        log = (self.folder / "moto.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while not self.answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"moto did not answer on port {self.port} in {timeout:.0f} s")
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def environment(self, bucket: str, *, endpoint: str | None = None, prefix: str = "") -> dict[str, str]:
        """What a process needs in its environment to store in this bucket (through `endpoint`)."""
        return {
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": endpoint or self.url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_LOCATION": prefix,
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None
