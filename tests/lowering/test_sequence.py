"""Sequence layers — Embedding, recurrent layers, their wrappers, attention — on tiny models."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers
from support import compile_and_verify, randomize_weights, require_engine, sample_for, stacked_model

from cnn2sheet import compile_model
from cnn2sheet.errors import UnsupportedModelError
from cnn2sheet.frontend import build_graph
from cnn2sheet.ir import Cells, Const, Func, Program
from cnn2sheet.ir.check import check_program
from cnn2sheet.ir.evaluate import evaluate
from cnn2sheet.lowering import activations, lower
from cnn2sheet.passes import run_passes
from cnn2sheet.verify.engines import open_session


def _functional(shapes, build, seed=0):
    """A model of several float inputs named in0, in1...; ``build`` maps them to outputs."""
    inputs = [keras.Input(shape, name=f"in{k}") for k, shape in enumerate(shapes)]
    model = keras.Model(inputs, build(*inputs))
    randomize_weights(model, seed)
    return model


def _ir_outputs(model, samples):
    """The lowered program's outputs, evaluated in float64 (no spreadsheet involved)."""
    program = lower(build_graph(model), samples)
    run_passes(program, check=check_program)
    values = evaluate(program)
    return program, [values[program.blocks[p.block].ids.ravel()] for p in program.outputs]


RNN_CASES = {
    "simple_rnn_last": layers.SimpleRNN(3),
    "simple_rnn_sequences_relu": layers.SimpleRNN(2, return_sequences=True, activation="relu"),
    "simple_rnn_backwards_no_bias": layers.SimpleRNN(3, go_backwards=True, use_bias=False),
    "lstm_last": layers.LSTM(3),
    "lstm_sequences_backwards": layers.LSTM(2, return_sequences=True, go_backwards=True),
    "lstm_no_bias_other_activations": layers.LSTM(
        2, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid"
    ),
    "lstm_dropout_is_identity": layers.LSTM(2, dropout=0.5, recurrent_dropout=0.5),
    "gru_reset_after": layers.GRU(3),
    "gru_reset_before": layers.GRU(3, reset_after=False),
    "gru_reset_before_sequences_backwards": layers.GRU(
        2, reset_after=False, return_sequences=True, go_backwards=True
    ),
    "gru_reset_after_no_bias_sequences": layers.GRU(2, use_bias=False, return_sequences=True),
    "gru_reset_before_no_bias": layers.GRU(2, use_bias=False, reset_after=False),
    "gru_other_activations": layers.GRU(2, activation="softsign", recurrent_activation="tanh"),
    "rnn_over_an_lstm_cell": layers.RNN(layers.LSTMCell(2), return_sequences=True),
    "rnn_over_a_gru_cell_backwards": layers.RNN(layers.GRUCell(2), go_backwards=True),
}


@pytest.mark.parametrize("case", sorted(RNN_CASES))
def test_recurrent(case, tmp_path):
    model = stacked_model((4, 3), RNN_CASES[case])

    compile_and_verify(model, tmp_path)


STATE_CASES = {
    "lstm_return_state": lambda x: layers.LSTM(2, return_state=True)(x),
    "gru_sequences_and_state": lambda x: layers.GRU(
        2, return_sequences=True, return_state=True, reset_after=False
    )(x),
    "simple_rnn_state_only_read": lambda x: layers.SimpleRNN(2, return_state=True)(x)[1],
}


@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_return_state(case, tmp_path):
    model = _functional([(3, 3)], STATE_CASES[case])

    compile_and_verify(model, tmp_path)


def test_initial_state_from_inputs(tmp_path):
    def build(x, h0, c0):
        sequence, h, c = layers.LSTM(2, return_sequences=True, return_state=True)(
            x, initial_state=[h0, c0]
        )
        return [sequence, layers.GRU(2)(x, initial_state=[h])]

    model = _functional([(3, 3), (2,), (2,)], build)

    compile_and_verify(model, tmp_path)


BIDIRECTIONAL_CASES = {
    "concat_gru_sequences": dict(layer=layers.GRU(2, return_sequences=True)),
    "sum_lstm": dict(layer=layers.LSTM(2), merge_mode="sum"),
    "mul_simple_rnn_sequences": dict(
        layer=layers.SimpleRNN(2, return_sequences=True), merge_mode="mul"
    ),
    "ave_gru_reset_before": dict(layer=layers.GRU(2, reset_after=False), merge_mode="ave"),
    "none_lstm_sequences_and_state": dict(
        layer=layers.LSTM(2, return_sequences=True, return_state=True), merge_mode=None
    ),
    "return_state_gru": dict(layer=layers.GRU(2, return_state=True)),
    "own_backward_layer": dict(
        layer=layers.LSTM(2, return_sequences=True),
        backward_layer=layers.GRU(2, go_backwards=True, return_sequences=True),
    ),
}


@pytest.mark.parametrize("case", sorted(BIDIRECTIONAL_CASES))
def test_bidirectional(case, tmp_path):
    model = _functional([(3, 2)], lambda x: layers.Bidirectional(**BIDIRECTIONAL_CASES[case])(x))

    compile_and_verify(model, tmp_path)


TIME_DISTRIBUTED_CASES = {
    "dense_tanh": ((4, 3), [layers.TimeDistributed(layers.Dense(2, activation="tanh"))]),
    "conv2d_then_flatten": (
        (2, 4, 5, 1),
        [layers.TimeDistributed(layers.Conv2D(2, 3)), layers.TimeDistributed(layers.Flatten())],
    ),
    "dense_then_gru": ((4, 3), [layers.TimeDistributed(layers.Dense(3)), layers.GRU(2)]),
}


@pytest.mark.parametrize("case", sorted(TIME_DISTRIBUTED_CASES))
def test_time_distributed(case, tmp_path):
    shape, stack = TIME_DISTRIBUTED_CASES[case]
    model = stacked_model(shape, *stack)

    compile_and_verify(model, tmp_path)


def test_time_distributed_shares_one_weight_block():
    model = stacked_model((4, 3), layers.TimeDistributed(layers.Dense(2), name="td"))

    program, _ = _ir_outputs(model, sample_for(model))

    kernels = [b for b in program.blocks.values() if b.kind == "param" and b.role == "kernel"]
    assert [b.shape for b in kernels] == [(2, 3)]


MHA_CASES = {
    "self_two_heads": ([(4, 3)], dict(num_heads=2, key_dim=3), lambda x: (x, x), {}),
    "cross_with_key": (
        [(3, 3), (4, 2), (4, 3)],
        dict(num_heads=2, key_dim=2),
        lambda q, v, k: (q, v, k),
        {},
    ),
    "one_head_no_bias": ([(3, 2)], dict(num_heads=1, key_dim=2, use_bias=False),
                         lambda x: (x, x), {}),
    "value_dim_output_shape": (
        [(3, 3)], dict(num_heads=3, key_dim=2, value_dim=3, output_shape=4), lambda x: (x, x), {}
    ),
    "output_shape_tuple": (
        [(3, 2)], dict(num_heads=2, key_dim=2, output_shape=(2, 2)), lambda x: (x, x), {}
    ),
    "causal_self": ([(4, 3)], dict(num_heads=2, key_dim=2), lambda x: (x, x),
                    dict(use_causal_mask=True)),
    "causal_cross_longer_keys": (
        [(3, 2), (4, 3)], dict(num_heads=1, key_dim=3), lambda q, v: (q, v),
        dict(use_causal_mask=True),
    ),
    "sliding_window_dropout": (
        [(4, 2)], dict(num_heads=2, key_dim=2, sliding_window=2, dropout=0.5),
        lambda x: (x, x), {},
    ),
    "gated": ([(3, 3)], dict(num_heads=2, key_dim=2, use_gate=True), lambda x: (x, x), {}),
    "return_attention_scores": (
        [(3, 3)], dict(num_heads=2, key_dim=2), lambda x: (x, x),
        dict(return_attention_scores=True),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MHA_CASES))
def test_multi_head_attention(case, tmp_path):
    shapes, options, arguments, call = MHA_CASES[case]
    model = _functional(
        shapes,
        lambda *xs: layers.MultiHeadAttention(**options)(*arguments(*xs), **call),
    )

    compile_and_verify(model, tmp_path)


ATTENTION_CASES = {
    "dot": (layers.Attention, {}, {}),
    "dot_scaled_causal": (layers.Attention, dict(use_scale=True), dict(use_causal_mask=True)),
    "concat": (layers.Attention, dict(score_mode="concat"), {}),
    "concat_scaled_scores": (
        layers.Attention,
        dict(score_mode="concat", use_scale=True),
        dict(return_attention_scores=True),
    ),
    "additive": (layers.AdditiveAttention, {}, {}),
    "additive_unscaled_causal": (
        layers.AdditiveAttention,
        dict(use_scale=False),
        dict(use_causal_mask=True),
    ),
}


@pytest.mark.parametrize("case", sorted(ATTENTION_CASES))
def test_attention(case, tmp_path):
    cls, options, call = ATTENTION_CASES[case]
    model = _functional([(3, 2), (4, 2)], lambda q, v: cls(**options)([q, v], **call))

    compile_and_verify(model, tmp_path)


def test_attention_with_a_separate_key(tmp_path):
    model = _functional([(3, 2), (4, 3), (4, 2)], lambda q, v, k: layers.Attention()([q, v, k]))

    compile_and_verify(model, tmp_path)


def test_attention_weights_are_a_block_of_their_own():
    model = _functional(
        [(3, 2)],
        lambda x: layers.MultiHeadAttention(2, 2)(x, x, return_attention_scores=True),
    )

    program, (_, scores) = _ir_outputs(model, sample_for(model))

    (block,) = [b for b in program.blocks.values() if b.role == "attention weights"]
    assert block.shape == (2 * 3, 3)  # each head's 3×3 matrix, stacked
    assert program.outputs[1].block == block.name
    assert np.allclose(scores.reshape(6, 3).sum(axis=1), 1.0)


def _token_model(*stack, vocab=6, length=4, seed=0):
    tokens = keras.Input((length,), dtype="int32", name="tokens")
    x = layers.Embedding(vocab, 3, name="embedding")(tokens)
    for layer in stack:
        x = layer(x)
    model = keras.Model(tokens, x)
    randomize_weights(model, seed)
    return model


EMBEDDING_CASES = {
    "lookup": [],
    "lookup_then_lstm": [layers.LSTM(2)],
    "lookup_then_dense": [layers.Dense(2)],
}


@pytest.mark.parametrize("case", sorted(EMBEDDING_CASES))
def test_embedding(case, tmp_path):
    model = _token_model(*EMBEDDING_CASES[case])

    compile_and_verify(model, tmp_path, samples=[np.array([0, 5, 2, 2])])


def test_embedding_reads_float_token_grids(tmp_path):
    model = stacked_model((2, 3), layers.Embedding(7, 2))

    compile_and_verify(model, tmp_path, samples=[np.array([[0, 6, 3.7], [3, 1, 2]])])


def test_embedding_lookup_is_one_index_formula_per_cell():
    model = _token_model()

    program, _ = _ir_outputs(model, [np.array([1, 0, 4, 5])])

    block = program.blocks["embedding"]
    assert {e.name for e in block.exprs} == {"INDEX"}


@pytest.mark.parametrize(
    ("position", "want"), [(1.0, 10.0), (3.0, 12.0), (2.7, 11.0), (0.0, None), (4.0, None)]
)
def test_index_reads_one_based_and_truncates_like_spreadsheets(position, want):
    program = Program()
    table = program.add("table", "t", "param", (3,), values=np.array([10.0, 11.0, 12.0]))
    look = program.add(
        "look", "t", "compute", (1,), exprs=[Func("INDEX", (Cells(table.ids), Const(position)))]
    )

    got = evaluate(program)[look.start]

    assert np.isnan(got) if want is None else got == want


def test_token_outside_the_table_shows_an_error(tmp_path):
    require_engine("gnumeric")
    model = _token_model(vocab=6)
    path = tmp_path / "tokens.xlsx"
    compile_model(model, path, sample=np.array([0, 1, 2, 3]))

    with open_session("gnumeric", path) as session:
        got = session.evaluate({"input": np.array([0, 6, 2, 9])}, ["output"])["output"]
        errors = session.last_errors["output"]

    rows = got.reshape(4, 3)
    assert np.isfinite(rows[[0, 2]]).all()
    assert np.isnan(rows[[1, 3]]).all()
    assert {problem for _, problem in errors} == {"#REF!"} and len(errors) == 6


ELEMENTWISE = sorted(set(activations.ELEMENTWISE) - set(activations.DECLINED))


def test_every_elementwise_activation_unrolls():
    """Each activation as a cell's activation and as a GRU's gates' (IR evaluation: fast)."""
    model = _functional(
        [(3, 2)],
        lambda x: [
            layer(x)
            for name in ELEMENTWISE
            for layer in (
                layers.SimpleRNN(2, activation=name, name=f"rnn_{name}"),
                layers.GRU(2, activation=name, recurrent_activation=name, name=f"gru_{name}"),
            )
        ],
    )
    sample = sample_for(model, seed=1)

    _, got = _ir_outputs(model, sample)

    want = [keras.ops.convert_to_numpy(w) for w in model([sample[0][None]], training=False)]
    names = [f"{kind} {name}" for name in ELEMENTWISE for kind in ("SimpleRNN", "GRU")]
    for g, w, name in zip(got, want, names, strict=True):
        np.testing.assert_allclose(g, np.asarray(w).ravel(), rtol=1e-5, atol=1e-6, err_msg=name)


ERROR_CASES = {
    "mask_zero": (
        lambda: keras.Model(
            t := keras.Input((3,), dtype="int32"), layers.Embedding(4, 2, mask_zero=True)(t)
        ),
        r"\(Embedding\): mask_zero=True is not supported",
    ),
    "masking_layer": (
        lambda: stacked_model((3, 2), layers.Masking(0.5), layers.LSTM(2)),
        r"\(Masking\): mask_value=0\.5: masking is not supported",
    ),
    "stateful": (
        lambda: keras.Sequential(
            [keras.Input(batch_shape=(1, 3, 2)), layers.LSTM(2, stateful=True)]
        ),
        r"\(LSTM\): stateful=True is not supported",
    ),
    "softmax_activation": (
        lambda: stacked_model((3, 2), layers.SimpleRNN(2, activation="softmax")),
        r"\(SimpleRNN\): activation 'softmax' is not supported in a recurrent cell: it acts "
        r"along an axis",
    ),
    "stacked_cells": (
        lambda: stacked_model((3, 2), layers.RNN([layers.GRUCell(2), layers.GRUCell(2)])),
        r"\(RNN\): cell StackedRNNCells is not supported",
    ),
    "attention_mask": (
        lambda: _functional(
            [(3, 2), (3, 3)],
            lambda x, m: layers.MultiHeadAttention(1, 2)(x, x, attention_mask=m),
        ),
        r"\(MultiHeadAttention\): attention_mask is not supported",
    ),
    "cross_attention_scores": (
        lambda: _functional(
            [(3, 2), (4, 2)],
            lambda q, v: layers.MultiHeadAttention(1, 2)(q, v, return_attention_scores=True),
        ),
        r"return_attention_scores=True with 3 queries and 4 keys is not supported",
    ),
    "integer_input_read_by_dense": (
        lambda: keras.Model(t := keras.Input((3,), dtype="int32", name="ints"), layers.Dense(2)(t)),
        r"input 'ints': dtype int32 is not supported .* here read by Dense",
    ),
    "bidirectional_halves_of_different_widths": (
        lambda: stacked_model(
            (3, 2),
            layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(3, go_backwards=True)),
        ),
        r"backward_layer has 3 units and the forward layer 2",
    ),
    "time_distributed_masking": (
        lambda: stacked_model((3, 2), layers.TimeDistributed(layers.Masking())),
        r"wrapped layer 'masking\w*' \(Masking\): mask_value=0\.0: masking is not supported",
    ),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_unsupported_sequence_features_are_named(case, tmp_path):
    build, message = ERROR_CASES[case]
    model = build()

    with pytest.raises(UnsupportedModelError, match=message):
        compile_model(model, tmp_path / "out.xlsx")

    assert not (tmp_path / "out.xlsx").exists()
