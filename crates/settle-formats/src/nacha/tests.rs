//! Unit tests of the NACHA reader.
