# Orbitr as a container image, built from nothing that must be pulled: `make image` (tools/image.sh)
# stages a root filesystem beside this file (the orbitr binary with the shared libraries it links,
# the browser assets, the official extensions, CA certificates) and builds it on `scratch`.
#
#   docker run -v /var/run/docker.sock:/var/run/docker.sock -v orbitr-data:/data -p 8080:8080 orbitr
FROM scratch
COPY rootfs/ /
ENV ORBITR_DATA_DIR=/data \
    ORBITR_BIND=0.0.0.0:8080 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/opt/orbitr/orbitr"]
CMD ["serve"]
