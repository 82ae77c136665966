# Build: the Swift toolchain image; run: a slim Debian with only the runtime libraries.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      pkg-config libturbojpeg0-dev libpng-dev libwebp-dev zlib1g-dev libsqlite3-dev python3 python3-pip ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN bash scripts/fetch-onnxruntime.sh \
    && bash scripts/fetch-openvino-ep.sh /out/openvino-ep \
    && python3 -m pip download -q --no-deps --dest /tmp/sidecar "drf-spectacular-sidecar==2026.10.1" \
    && mkdir -p /out/swagger-ui \
    && python3 -c "import zipfile,glob; z=zipfile.ZipFile(glob.glob('/tmp/sidecar/*.whl')[0]); p='drf_spectacular_sidecar/static/drf_spectacular_sidecar/swagger-ui-dist/'; [open('/out/swagger-ui/'+n,'wb').write(z.read(p+n)) for n in ('swagger-ui-bundle.js','swagger-ui.css','LICENSE')]" \
    && swift build -c release --product vision-models-api --static-swift-stdlib \
    && mkdir -p /out \
    && cp .build/release/vision-models-api /out/ \
    && cp -r graphs /out/graphs \
    && cp -L .deps/onnxruntime/lib/libonnxruntime.so /out/libonnxruntime.so

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libturbojpeg0 libpng16-16 libwebp7 zlib1g libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# The server looks for libonnxruntime.so, openvino-ep/ (the OpenVINO plugin) and graphs/ (the
# shipped graphs, without weights) next to its executable; mount a CUDA-enabled build and set
# ORT_DYLIB_PATH to use a GPU.
COPY --from=build /out/ /app/
# Runs as an unprivileged user (uid 10001) that owns only the cache volume.
RUN useradd --system --uid 10001 --home-dir /cache --shell /usr/sbin/nologin vma \
    && mkdir -p /cache && chown 10001:10001 /cache
ENV HOST=0.0.0.0 PORT=8000 HF_ROOT_FOLDER=/cache
VOLUME /cache
EXPOSE 8000
USER 10001:10001
ENTRYPOINT ["/app/vision-models-api"]
CMD ["serve"]
