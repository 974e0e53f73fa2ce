// Copy-on-write block store: see issue 4.
