"""mobilenets: the tested package behind the MobileNets book.

Rooms: ``blocks`` (layers), ``models`` (V1/V2/V3 from the papers' tables), ``cost`` (analytic and
measured mult-adds and parameters), ``export`` (ONNX), ``bench`` (latency with provenance),
``figures`` (Plotly), ``settings`` (the one place that reads environment variables) and
``booktools`` (the Sphinx/myst-nb glue of the book itself).
"""

from .models import MODEL_NAMES, create, mobilenet_v1, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small

__all__ = ["MODEL_NAMES", "create", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
__version__ = "0.1.0"
