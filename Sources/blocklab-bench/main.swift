// `make bench`: BlockLab vs fio side by side, plus microbenchmarks.
print("no benchmarks yet")
