# One image for the dashboard and the worker; compose.yaml picks the command.
# The build stage installs the runtime dependencies exactly as uv.lock pins them (no dev, test or
# bench group) into /opt/venv; the image gets that venv and the source, not uv nor the build tools.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

# Same uv as the Makefile's UV_VERSION.
RUN pip install uv==0.13.9

WORKDIR /app
# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
# Then the project itself, editable: /opt/venv points at /app, the source the image runs
# (`streamlit run dashboard/app.py` needs the files there anyway), so there is one copy of the code.
COPY . .
RUN uv sync --locked --no-dev

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
RUN useradd --create-home --uid 10001 scout
COPY --chown=scout:scout . .
RUN mkdir -p /app/data && chown scout:scout /app/data
USER scout

EXPOSE 8501 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"

CMD ["streamlit", "run", "dashboard/app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
