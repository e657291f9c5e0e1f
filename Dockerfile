# Build with the SDK, run on the ASP.NET runtime image as its non-root user.
# The same `dotnet publish` command is what the operations issue's tests run and check.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Kosmo.Idp/Kosmo.Idp.csproj Kosmo.Idp/
RUN dotnet restore Kosmo.Idp/Kosmo.Idp.csproj -r linux-x64
COPY Kosmo.Idp/ Kosmo.Idp/
RUN dotnet publish Kosmo.Idp/Kosmo.Idp.csproj -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Configuration comes from environment variables (ConnectionStrings__Kosmo, Protocol__Issuer, …);
# nothing secret is baked into the image.
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Kosmo.Idp.dll"]
