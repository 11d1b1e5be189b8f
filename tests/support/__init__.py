"""Test support: the fakes, harnesses and kits test modules import; test modules import no other."""
