"""Speed and memory figures (`make bench`): scripts that print numbers and ratios, not tests."""
