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

    @property
    def name(self) -> str:
        return self.layer.name

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

    problems: list[str] = []
    infos: dict[int, TensorInfo] = {}

    def info(tensor) -> TensorInfo:
        key = id(tensor)
        if key not in infos:
            infos[key] = TensorInfo(key, _static_shape(tensor, problems), str(tensor.dtype))
        return infos[key]

    ops: list[Op] = []
    seen: set[int] = set()

    def visit(tensor) -> None:
        operation, node_index, _ = tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if id(node) in seen:
            return
        seen.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        ops.append(
            Op(
                layer=operation,
                inputs=[info(t) for t in node.input_tensors],
                outputs=[info(t) for t in node.output_tensors],
                args=tuple(node.arguments.args) if node.arguments else (),
                kwargs=dict(node.arguments.kwargs) if node.arguments else {},
            )
        )

    for tensor in model.outputs:
        visit(tensor)

    inputs = [(_origin_name(t), info(t)) for t in model.inputs]
    outputs = [(_origin_name(t), info(t)) for t in model.outputs]
    if problems:
        raise UnsupportedModelError(problems)
    return Graph(inputs, outputs, ops)


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
