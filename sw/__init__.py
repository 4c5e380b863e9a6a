"""Host-side software of the deltamac IP: the generated C register header and the Python driver."""
