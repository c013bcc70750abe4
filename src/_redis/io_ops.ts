// Loads every module that defines operations of the I/O thread.
import "./io_locks.ts";
import "./io_queues.ts";
import "./io_containers.ts";
import "./io_executor.ts";
