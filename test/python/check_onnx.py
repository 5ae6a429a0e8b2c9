"""Checks ONNX files with the onnx package's own checker, as a user's Python toolchain would load them.

    python3 check_onnx.py model.onnx [...]   prints one JSON line per file: IR version, opsets, inputs,
                                             outputs and metadata; exits 1 naming a file the checker refuses.
"""
import json
import sys

import onnx


def describe(path):
    model = onnx.load(path)
    # full_check also runs shape inference over the whole graph, as onnx's tools do before converting a model.
    onnx.checker.check_model(model, full_check=True)

    def shape(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    return {
        "file": path,
        "ir_version": model.ir_version,
        "opsets": {imp.domain or "ai.onnx": imp.version for imp in model.opset_import},
        "inputs": {i.name: shape(i) for i in model.graph.input},
        "outputs": {o.name: shape(o) for o in model.graph.output},
        "metadata": {p.key: json.loads(p.value) for p in model.metadata_props},
        "onnx_package": onnx.__version__,
    }


if __name__ == "__main__":
    for path in sys.argv[1:]:
        try:
            print(json.dumps(describe(path)))
        except onnx.checker.ValidationError as err:
            print(f"{path}: onnx.checker refused it: {err}", file=sys.stderr)
            sys.exit(1)
