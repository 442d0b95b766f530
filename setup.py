"""The two C extensions (setuptools still calls their pyproject.toml table experimental and says
so on every install). Both are optional: where they cannot be built (no C compiler), the same
numpy and Python code runs instead, slower, with the same results.

- ``index.search._kernels``: the innermost loops of a query (index/search/kernels.py says why);
  no fused multiply-add, so C and numpy give the same scores bit for bit.
- ``index.store._counting``: ingest's per-term counting (index/store/counting.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "index.search._kernels",
            ["index/search/_kernels.c"],
            extra_compile_args=["-ffp-contract=off"],
            optional=True,
        ),
        Extension("index.store._counting", ["index/store/_counting.c"], optional=True),
    ]
)
