"""Problem sets; hw2 (CSCI-GA 2572, Fall 2022, theory part) is the first."""
