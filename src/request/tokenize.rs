//! Strict POSIX-shell word splitting, with no shell.
