# ConvLens, CPU only. Not built on the development machine (it has no Docker engine):
# kept correct by reading. Build: docker build -t convlens .   Run: docker run -p 8000:8000 convlens
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=1073741824 \
    MALLOC_ARENA_MAX=2

WORKDIR /srv/convlens

# The CPU wheel of torch first, from PyTorch's CPU index: PyPI's default build pulls CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY app ./app
COPY models ./models
COPY templates ./templates
COPY static ./static
# Editable, so templates/ and static/ are found beside the code (ROOT in app/core/settings.py).
RUN pip install -e . && useradd --create-home --uid 10001 convlens

USER convlens
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2)"
# A job worker for several hosts (with CONVLENS_STORE_BACKEND=redis): docker run convlens convlens worker
CMD ["convlens", "--host", "0.0.0.0", "--port", "8000"]
