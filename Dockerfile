# Kosmo.Idp container image: built with the SDK, run on the ASP.NET runtime image as its non-root user.
#
#   docker build -t registry.example.jp/kosmo/idp:1.0.0 .        (from the repository root)
#
# The same `dotnet publish` command is what docs/benchmarks/start-to-ready.sh runs and measures.
# Nothing secret is baked in: every setting comes from environment variables at run time
# (ConnectionStrings__Kosmo, Protocol__Issuer, DataProtection__CertificatePath, ...; see
# docs/operations.md). deploy/README.md shows how to run it with Compose or Kubernetes.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project file alone, so the package layer is reused while only code changes
# (ReadyToRun named here too: its compiler is a package, which publish would otherwise fetch every time).
COPY Kosmo.Idp/Kosmo.Idp.csproj Kosmo.Idp/
RUN dotnet restore Kosmo.Idp/Kosmo.Idp.csproj -r linux-x64 -p:PublishReadyToRun=true
COPY Kosmo.Idp/ Kosmo.Idp/
# A developer's bin/, obj/ and App_Data/ (SQLite file, mails) may have come along with the sources:
# drop them, so their restore output and data never reach the build or the image. The restore in
# publish then only rewrites the assets file from the packages restored above.
RUN rm -rf Kosmo.Idp/bin Kosmo.Idp/obj Kosmo.Idp/App_Data \
 && dotnet publish Kosmo.Idp/Kosmo.Idp.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
# The binaries stay owned by root, so the service cannot change them. The one writable folder is
# App_Data/mail, for the Folder mail delivery of the local Compose demo (a named volume mounted
# there takes this ownership); production sends mail through SendGrid and writes nothing to disk.
RUN mkdir -p /app/App_Data/mail && chown -R "$APP_UID:$APP_UID" /app/App_Data
COPY --from=build /app .
# One port, plain http: TLS ends at the load balancer or ingress in front of the service.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0
EXPOSE 8080
# The runtime image has neither curl nor wget: the binary's own `health` command asks /health/ready
# (database reachable, schema current, keys loaded) with a 3 s timeout and exits 0 or 1. It builds
# no host and reads no settings. If you change the port, add `--url http://localhost:PORT/health/ready`.
# Kubernetes ignores HEALTHCHECK and uses the Deployment's probes instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["dotnet", "Kosmo.Idp.dll", "health"]
# $APP_UID is the numeric id (1654) of the image's `app` user, so Kubernetes' runAsNonRoot can verify it.
USER $APP_UID
ENTRYPOINT ["dotnet", "Kosmo.Idp.dll"]
