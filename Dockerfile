# python-router: the image SCDF runs as an `app` (exec entry-point style: SCDF's --key=value arguments reach
# python-router unchanged). Two stages: wheels are built with the toolchain, the runtime image has only them.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY transforms/ transforms/
COPY spring_properties/ spring_properties/
COPY sidecar/ sidecar/
COPY pump/ pump/
COPY python_router/ python_router/
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin router
WORKDIR /app
# The default routing chain (connect-config/router.properties) is read relative to the working directory.
COPY connect-config/ connect-config/
USER 10001
EXPOSE 8080
# SERVER_PORT is how shell-style deployments set server.port; exec-style ones keep the default 8080.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/actuator/health' % os.environ.get('SERVER_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["python-router"]
CMD []
