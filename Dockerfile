# One image for every role: `actionpool api` or `actionpool worker`. Your own action
# packages go in an image built FROM this one (docs/writing-actions.md#an-image-with-your-actions).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# git (and ssh for SSH remotes) for git:publish and golden-path:create-repository
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git openssh-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY actions ./actions
COPY worker ./worker
COPY api ./api
# actionpool/ links the three folders above into the one installed package `actionpool`
COPY actionpool ./actionpool
RUN pip install . && useradd --create-home --uid 10001 actionpool

USER actionpool
ENV ACTIONPOOL_API_HOST=0.0.0.0 \
    ACTIONPOOL_WORKSPACE_ROOT=/tmp/actionpool
EXPOSE 8000
CMD ["actionpool", "api"]
