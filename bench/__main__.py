"""`python -m bench` (`make bench`): every figure in docs/performance.md."""

from bench import parse_speed, store_throughput

parse_speed.main()
print()
store_throughput.main()
