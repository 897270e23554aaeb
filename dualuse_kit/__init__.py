"""Test and benchmark kit for dualuse: the seeded synthetic trade-record generator and its word
pools. Kept out of the ``screening`` library on purpose: screening never needs it, and the
library's public surface stays what a user screens with. ``dualuse sample`` imports it lazily.
"""
