// Token buckets, GCRA and credit buckets: see issue 3.
