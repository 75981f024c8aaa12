"""The model as a graph of layer applications with static shapes (batch axis dropped)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cnn2sheet.errors import UnsupportedModelError


@dataclass(frozen=True)
class TensorInfo:
    """A tensor flowing between layers: a unique key and its shape without the batch axis."""

    key: int
    shape: tuple[int, ...]
    dtype: str = "float32"


@dataclass
class Op:
    """One application of a layer to its input tensors."""

    layer: object
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    scope: str = ""  # "outer/" prefix of a layer inside a nested model

    @property
    def name(self) -> str:
        return f"{self.scope}{self.layer.name}"

    @property
    def cls(self) -> str:
        return type(self.layer).__name__

    def describe(self) -> str:
        return f"layer '{self.name}' ({self.cls})"


@dataclass
class Graph:
    """Inputs, outputs and the layer applications in an order where inputs come first."""

    inputs: list[tuple[str, TensorInfo]]
    outputs: list[tuple[str, TensorInfo]]
    ops: list[Op]


def build_graph(model) -> Graph:
    """Walk ``model``'s Keras graph from its outputs back to its inputs."""
    if not getattr(model, "inputs", None) or not getattr(model, "outputs", None):
        raise UnsupportedModelError(
            [
                f"model '{model.name}' ({type(model).__name__}) has no static graph: subclassed "
                "models cannot be read; build it as a Sequential or Functional model, or call it "
                "on a keras.Input first"
            ]
        )

    walker = _Walker()
    for tensor in model.outputs:
        walker.visit(tensor, walker.top)

    inputs = [(_origin_name(t), walker.info(t, walker.top)) for t in model.inputs]
    outputs = [(_origin_name(t), walker.info(t, walker.top)) for t in model.outputs]
    if walker.problems:
        raise UnsupportedModelError(walker.problems)
    return Graph(inputs, outputs, walker.ops)


@dataclass
class _Scope:
    """One application of a (nested) model: its name prefix and the tensors seen inside it."""

    prefix: str
    uid: int
    aliases: dict[int, TensorInfo] = field(default_factory=dict)  # id(tensor) → outer tensor
    infos: dict[int, TensorInfo] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # nested model name → times applied


class _Walker:
    """Collects ops in topological order, inlining every nested Sequential or Functional model.

    A nested model's inputs are aliases of the tensors it was called on and its outputs become
    the tensors the call produced, so its layers read and feed the outer graph directly. Each
    application of a nested model is a scope of its own: a model used twice yields two sets of
    ops whose tensors never mix.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.ops: list[Op] = []
        self.top = _Scope("", 0)
        self._scopes = 1
        self._seen: set[tuple[int, int]] = set()
        self._keys: set[int] = set()

    def info(self, tensor, scope: _Scope) -> TensorInfo:
        key = id(tensor)
        if key in scope.aliases:
            return scope.aliases[key]
        if key not in scope.infos:
            # Keys stay id(tensor) where unique (helpers match call arguments by it); a tensor
            # met again in a second application of a nested model gets a fresh negative key.
            unique = key if key not in self._keys else -len(self._keys) - 1
            self._keys.add(unique)
            shape = _static_shape(tensor, self.problems)
            scope.infos[key] = TensorInfo(unique, shape, str(tensor.dtype))
        return scope.infos[key]

    def visit(self, tensor, scope: _Scope) -> None:
        if id(tensor) in scope.aliases:
            return
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if (scope.uid, id(node)) in self._seen:
            return
        self._seen.add((scope.uid, id(node)))
        for parent in node.input_tensors:
            self.visit(parent, scope)
        if _is_nested_model(operation):
            self._inline(operation, node, scope)
            return
        self.ops.append(
            Op(
                layer=operation,
                inputs=[self.info(t, scope) for t in node.input_tensors],
                outputs=[self.info(t, scope) for t in node.output_tensors],
                args=tuple(node.arguments.args) if node.arguments else (),
                kwargs=dict(node.arguments.kwargs) if node.arguments else {},
                scope=scope.prefix,
            )
        )

    def _inline(self, model, node, outer: _Scope) -> None:
        count = outer.calls.get(model.name, 0) + 1
        outer.calls[model.name] = count
        name = model.name if count == 1 else f"{model.name}#{count}"
        inner = _Scope(f"{outer.prefix}{name}/", self._scopes)
        self._scopes += 1

        for inner_input, tensor in zip(model.inputs, node.input_tensors, strict=True):
            inner.aliases[id(inner_input)] = self.info(tensor, outer)
        for tensor in model.outputs:
            self.visit(tensor, inner)
        for tensor, inner_output in zip(node.output_tensors, model.outputs, strict=True):
            outer.aliases[id(tensor)] = self.info(inner_output, inner)


def _is_nested_model(operation) -> bool:
    """A Sequential or Functional model called as a layer (it has a graph to walk)."""
    import keras

    if not isinstance(operation, keras.Model):
        return False
    try:
        return bool(operation.inputs) and bool(operation.outputs)
    except (AttributeError, ValueError):
        return False  # a subclassed model: lowered (or refused) as one layer


def _origin_name(tensor) -> str:
    return tensor._keras_history.operation.name


def _static_shape(tensor, problems: list[str]) -> tuple[int, ...]:
    shape = tuple(tensor.shape)
    rest = shape[1:]
    if any(d is None for d in rest):
        layer = tensor._keras_history.operation
        problems.append(
            f"layer '{layer.name}' ({type(layer).__name__}): output shape {shape} has an unknown "
            "dimension beyond the batch axis; give the model's Input a fully static shape"
        )
        return tuple(0 if d is None else int(d) for d in rest)
    return tuple(int(d) for d in rest)
