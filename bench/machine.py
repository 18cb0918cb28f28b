"""The machine a bench ran on, written beside its figures: without it a figure means nothing."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import psycopg
import redis

PACKAGES = ("sqlalchemy", "sqlmodel", "psycopg", "huey", "redis", "requests", "beautifulsoup4", "lxml", "streamlit")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _postgres_version(admin_url: str) -> str:
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "unknown"
    except psycopg.Error:
        return "not reachable"


def _redis_version(url: str) -> str:
    try:
        return str(redis.Redis.from_url(url, socket_timeout=3).info("server")["redis_version"])
    except redis.RedisError:
        return "not reachable"


def describe(postgres_url: str, redis_url: str) -> list[tuple[str, str]]:
    """(label, value) pairs: hardware, operating system, services and the packages that matter."""
    return [
        ("CPU", f"{_cpu_model()}, {os.cpu_count()} cores"),
        ("memory", _memory_gib()),
        ("system", f"{platform.system()} {platform.release()} ({platform.machine()})"),
        ("Python", platform.python_version()),
        ("PostgreSQL", _postgres_version(postgres_url)),
        ("Redis", _redis_version(redis_url)),
        ("SQLite", sqlite3.sqlite_version),
        ("packages", ", ".join(f"{name} {_package(name)}" for name in PACKAGES)),
    ]
