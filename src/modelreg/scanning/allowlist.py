"""Which globals a pickle may import: the strict allow-list of known-safe ML globals.

Three answers for a ``module.name``:

- **unsafe**: a known way to run code, touch the system or fetch more code (``os.system``,
  ``builtins.eval``, ``subprocess``, ``runpy``, ``getattr`` used to reach anything, ...);
- **clean**: on the allow-list below (containers, numpy arrays and dtypes, PyTorch's tensor
  rebuilders, scikit-learn estimator classes, joblib's array wrapper, ...);
- **suspicious**: anything else. An import the list does not know is never taken as clean.

scikit-learn, SciPy and friends are allowed by *class*, not by module: a capitalised name under
an allowed package (``sklearn.linear_model._logistic.LogisticRegression``) is a class whose
construction only sets attributes; their functions stay suspicious unless listed.
"""

from __future__ import annotations

from modelreg.domain.scans import Verdict

UNSAFE_MODULES = frozenset(
    {
        "os",
        "posix",
        "nt",
        "subprocess",
        "sys",
        "runpy",
        "shutil",
        "socket",
        "ctypes",
        "importlib",
        "pickle",
        "_pickle",
        "dill",
        "cloudpickle",
        "_io",
        "marshal",
        "code",
        "codeop",
        "pty",
        "commands",
        "webbrowser",
        "http",
        "httplib",
        "urllib",
        "requests",
        "asyncio",
        "multiprocessing",
        "signal",
        "bdb",
        "pdb",
        "timeit",
        "platform",
        "pydoc",
        "site",
        "types",
        "operator",
        "torch.hub",
        "torch.jit",
        "torch._dynamo",
        "torch._inductor",
        "numpy.f2py",
        "numpy.distutils",
        "numpy.testing",
    }
)
UNSAFE_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "locals",
        "vars",
        "input",
        "breakpoint",
        "apply",
        "execfile",
        "file",
        "reload",
        "memoryview",
        "help",
        "exit",
        "quit",
    }
)
SAFE_GLOBALS = frozenset(
    {
        # Python containers and values that protocol 2+ pickles name explicitly.
        "builtins.set",
        "builtins.frozenset",
        "builtins.slice",
        "builtins.complex",
        "builtins.bytearray",
        "builtins.bytes",
        "builtins.range",
        "builtins.object",
        "builtins.dict",
        "builtins.list",
        "builtins.tuple",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.str",
        "__builtin__.set",
        "__builtin__.frozenset",
        "__builtin__.object",
        "_codecs.encode",  # how protocol 2 spells bytes: encode(text, "latin1")
        "copy_reg._reconstructor",
        "copyreg._reconstructor",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.Counter",
        "collections.deque",
        "datetime.date",
        "datetime.datetime",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "uuid.UUID",
        "enum.Enum",
        # numpy arrays, scalars, dtypes and random generators.
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random._pickle.__mt19937_ctor",
        # joblib's wrapper of a numpy array written raw inside the stream.
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper",
        # PyTorch's state dicts and tensors.
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_qtensor",
        "torch._tensor._rebuild_from_type_v2",
        "torch.Size",
        "torch.device",
        "torch.Tensor",
        "torch.nn.parameter.Parameter",
        "torch.serialization._get_layout",
        "torch.storage.UntypedStorage",
        "torch.storage.TypedStorage",
    }
)
# Packages whose classes are allowed (capitalised names only, see the module docstring).
CLASS_PACKAGES = ("sklearn", "scipy.sparse", "numpy", "torch", "xgboost", "lightgbm")
# torch dtypes (torch.float32, ...) and the typed storages (torch.FloatStorage, ...).
TORCH_DTYPES = frozenset(
    {
        "float16",
        "float32",
        "float64",
        "bfloat16",
        "half",
        "float",
        "double",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "bool",
        "complex64",
        "complex128",
        "long",
        "int",
        "short",
    }
)


def classify(module: str, name: str) -> Verdict:
    """How a pickle's import of ``module.name`` counts: clean, suspicious or unsafe."""
    root = module.split(".", 1)[0]
    if module in ("builtins", "__builtin__", "__builtins__"):
        if name in UNSAFE_BUILTINS:
            return Verdict.UNSAFE
        return Verdict.CLEAN if f"builtins.{name}" in SAFE_GLOBALS else Verdict.SUSPICIOUS
    if any(module == bad or module.startswith(bad + ".") for bad in UNSAFE_MODULES):
        return Verdict.UNSAFE
    if root in UNSAFE_MODULES:
        return Verdict.UNSAFE
    if f"{module}.{name}" in SAFE_GLOBALS:
        return Verdict.CLEAN
    if module == "torch" and (name in TORCH_DTYPES or name.endswith("Storage")):
        return Verdict.CLEAN
    if _is_class_of_allowed_package(module, name):
        return Verdict.CLEAN
    return Verdict.SUSPICIOUS


def _is_class_of_allowed_package(module: str, name: str) -> bool:
    if not name[:1].isupper() or "." in name:
        return False
    return any(module == package or module.startswith(package + ".") for package in CLASS_PACKAGES)
