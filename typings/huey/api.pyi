from collections.abc import Callable
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, TypeVar

from huey.consumer import Consumer
from huey.serializer import Serializer
from huey.storage import BaseStorage

_F = TypeVar("_F", bound=Callable[..., object])
_F_co = TypeVar("_F_co", bound=Callable[..., object], covariant=True)
_Receiver = TypeVar("_Receiver", bound=Callable[..., object])

class Huey:
    name: str
    results: bool
    utc: bool
    storage: BaseStorage
    serializer: Serializer
    def __init__(
        self,
        name: str = "huey",
        results: bool = True,
        store_none: bool = False,
        utc: bool = True,
        immediate: bool = False,
        serializer: Serializer | None = None,
        compression: bool = False,
        use_zlib: bool = False,
        immediate_use_memory: bool = True,
        storage_class: type[BaseStorage] | None = None,
        store_intermediate_errors: bool = True,
        **storage_kwargs: object,
    ) -> None: ...
    @property
    def immediate(self) -> bool: ...
    @immediate.setter
    def immediate(self, value: bool) -> None: ...
    def create_consumer(
        self,
        *,
        workers: int = 1,
        periodic: bool = True,
        initial_delay: float = 0.1,
        backoff: float = 1.15,
        max_delay: float = 10.0,
        scheduler_interval: int = 1,
        worker_type: str = "thread",
        check_worker_health: bool = True,
        health_check_interval: float = 10,
        flush_locks: bool = False,
        extra_locks: str | None = None,
        max_tasks: int | None = None,
        shutdown_timeout: float | None = None,
        graceful_signal: str = "INT",
    ) -> Consumer: ...
    def task(
        self,
        retries: int = 0,
        retry_delay: float = 0,
        retry_backoff: float = 0,
        priority: int | None = None,
        context: bool = False,
        name: str | None = None,
        expires: datetime | timedelta | float | None = None,
        timeout: float | None = None,
        **kwargs: object,
    ) -> Callable[[_F], TaskWrapper[_F]]: ...
    def periodic_task(
        self,
        validate_datetime: Callable[[datetime], bool],
        retries: int = 0,
        retry_delay: float = 0,
        retry_backoff: float = 0,
        priority: int | None = None,
        context: bool = False,
        name: str | None = None,
        expires: datetime | timedelta | float | None = None,
        timeout: float | None = None,
        **kwargs: object,
    ) -> Callable[[_F], TaskWrapper[_F]]: ...
    # receivers are called as receiver(signal, task, *args, **kwargs)
    def signal(self, *signals: str) -> Callable[[_Receiver], _Receiver]: ...
    def disconnect_signal(self, receiver: Callable[..., object], *signals: str) -> None: ...
    def serialize_task(self, task: Task) -> bytes: ...
    def deserialize_task(self, data: bytes) -> Task: ...
    def enqueue(self, task: Task) -> Result | None: ...
    def dequeue(self) -> Task | None: ...
    def put(self, key: str, data: object) -> None: ...
    def put_if_empty(self, key: str, data: object, ttl: float | None = None) -> bool: ...
    def get(self, key: str, peek: bool = False) -> object: ...
    def delete(self, key: str) -> bool: ...
    def execute(self, task: Task, timestamp: datetime | None = None) -> object: ...
    def add_schedule(self, task: Task) -> None: ...
    def read_schedule(self, timestamp: datetime | None = None) -> list[Task]: ...
    def read_periodic(self, timestamp: datetime) -> list[Task]: ...
    def pending(self, limit: int | None = None) -> list[Task]: ...
    def pending_count(self) -> int: ...
    def scheduled(self, limit: int | None = None) -> list[Task]: ...
    def scheduled_count(self) -> int: ...
    def all_results(self) -> dict[str, bytes]: ...
    def result_count(self) -> int: ...
    def __len__(self) -> int: ...
    def flush(self) -> None: ...
    def lock_task(self, lock_name: str, ttl: float | None = None) -> TaskLock: ...
    def is_locked(self, lock_name: str) -> bool: ...
    def flush_locks(self, *names: str) -> set[str]: ...

class Task:
    name: str
    id: str
    args: tuple[Any, ...]  # what the task was enqueued with, unpickled
    kwargs: dict[str, Any]
    eta: datetime | None
    retries: int
    retry_delay: float
    retry_backoff: float
    priority: int | None
    expires: datetime | timedelta | float | None
    timeout: float | None
    def __init__(
        self,
        args: tuple[object, ...] | None = None,
        kwargs: dict[str, object] | None = None,
        id: str | None = None,  # noqa: A002  (huey's keyword)
        eta: datetime | None = None,
        retries: int | None = None,
        retry_delay: float | None = None,
        priority: int | None = None,
        expires: datetime | timedelta | float | None = None,
        on_complete: Task | None = None,
        on_error: Task | None = None,
        expires_resolved: datetime | None = None,
        timeout: float | None = None,
        chord_config: object = None,
        retry_backoff: float | None = None,
    ) -> None: ...
    def execute(self) -> object: ...

class PeriodicTask(Task):
    def validate_datetime(self, timestamp: datetime) -> bool: ...

# Generic only here, not at run time: write `TaskWrapper[...]` in annotations (deferred by
# `from __future__ import annotations`) or string aliases, never in an evaluated expression.
class TaskWrapper(Generic[_F_co]):
    """`_F_co` is the decorated function's own type, so `call_local` keeps its signature."""

    huey: Huey
    name: str | None
    task_class: type[Task]
    def __init__(
        self,
        huey: Huey,
        func: _F_co,
        context: bool = False,
        name: str | None = None,
        task_base: type[Task] | None = None,
        **settings: object,
    ) -> None: ...
    @property
    def func(self) -> _F_co: ...
    # a method that calls `func` with the same arguments: typed as `func` itself
    @property
    def call_local(self) -> _F_co: ...
    @property
    def retries(self) -> int: ...
    @property
    def retry_delay(self) -> float: ...
    def unregister(self) -> bool: ...
    # enqueue a call: the function's arguments plus Huey's own (priority=, eta=, delay=, retries=, ...)
    def __call__(self, *args: object, **kwargs: object) -> Result | None: ...
    def s(self, *args: object, **kwargs: object) -> Task: ...
    def schedule(
        self,
        args: tuple[object, ...] | float | timedelta | datetime | None = None,
        kwargs: dict[str, object] | None = None,
        eta: datetime | None = None,
        delay: float | timedelta | None = None,
        priority: int | None = None,
        retries: int | None = None,
        retry_delay: float | None = None,
        retry_backoff: float | None = None,
        expires: datetime | timedelta | float | None = None,
        timeout: float | None = None,
        id: str | None = None,  # noqa: A002  (huey's keyword)
    ) -> Result | None: ...

class TaskLock:
    def __init__(self, huey: Huey, name: str, ttl: float | None = None) -> None: ...
    def is_locked(self) -> bool: ...
    def __call__(self, fn: _F) -> _F: ...
    def __enter__(self) -> TaskLock: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None: ...
    def acquire(self) -> bool: ...
    def clear(self) -> bool: ...
    release = clear

class Result:
    def __init__(self, huey: Huey, task: Task) -> None: ...
    @property
    def id(self) -> str: ...
    def get(
        self,
        blocking: bool = False,
        timeout: float | None = None,
        backoff: float = 1.15,
        max_delay: float = 1.0,
        revoke_on_timeout: bool = False,
        preserve: bool = False,
    ) -> object: ...

def crontab(
    minute: str = "*", hour: str = "*", day: str = "*", month: str = "*", day_of_week: str = "*", strict: bool = False
) -> Callable[[datetime], bool]: ...
