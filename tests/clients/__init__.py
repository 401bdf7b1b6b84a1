"""Each README recipe run against the real client it is for, on the loopback stand-in."""
