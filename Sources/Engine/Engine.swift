// io_uring engine.
