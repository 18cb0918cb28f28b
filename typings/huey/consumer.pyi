from huey.api import Huey

class Consumer:
    huey: Huey
    workers: int
    default_delay: float
    max_delay: float
    def __init__(
        self,
        huey: Huey,
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
    ) -> None: ...
    def start(self) -> None: ...
    def stop(self, graceful: bool = False) -> None: ...
    def run(self) -> None: ...
