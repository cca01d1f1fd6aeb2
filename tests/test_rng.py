"""Named random streams: reproducible, independent of creation order."""

from __future__ import annotations

import numpy as np

from flowsim.model.rng import UniformRows, UniformStream, make_generator, stream_key


def test_same_key_same_numbers():
    a = make_generator(42, 3, "los").random(5)
    b = make_generator(42, 3, "los").random(5)
    np.testing.assert_array_equal(a, b)


def test_name_replication_and_seed_all_matter():
    base = make_generator(42, 0, "los").random(3)
    for other in (make_generator(42, 0, "arrivals"), make_generator(42, 1, "los"),
                  make_generator(43, 0, "los")):
        assert not np.array_equal(base, other.random(3))


def test_seed_zero_is_a_real_seed():
    assert not np.array_equal(make_generator(0, 0, "x").random(3),
                              make_generator(1, 0, "x").random(3))


def test_creating_other_streams_does_not_shift_a_stream():
    alone = make_generator(7, 0, "pathway").random(4)
    make_generator(7, 0, "new_stream").random(100)
    np.testing.assert_array_equal(alone, make_generator(7, 0, "pathway").random(4))


def test_stream_key_is_stable_across_processes():
    # sha256-based, so it never depends on PYTHONHASHSEED
    assert stream_key("arrivals") == stream_key("arrivals")
    assert stream_key("arrivals") != stream_key("arrival")


def test_uniform_stream_hands_out_the_generator_sequence_in_blocks():
    stream = UniformStream(make_generator(1, 0, "u"), block_size=4)
    values = [stream.next() for _ in range(10)]
    gen = make_generator(1, 0, "u")
    expected = np.concatenate([gen.random(4), gen.random(4), gen.random(4)])[:10]
    np.testing.assert_array_equal(values, expected)


def test_uniform_rows_hold_each_generators_sequence_in_turn():
    names = ["a", "b", "c"]
    rows = UniformRows([make_generator(2, 1, n) for n in names], block_size=4)
    got = [rows.next() for _ in range(10)]  # across two block boundaries
    streams = [UniformStream(make_generator(2, 1, n), block_size=3) for n in names]
    expected = [[stream.next() for stream in streams] for _ in range(10)]
    assert got == expected

