using Kosmo.Idp.Tests.Infrastructure;
using System.Text.Json;
using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Kosmo.Idp.Tests.Operations;

/// <summary>
/// The files under deploy/ can't be run here (no Docker engine, no cluster), so they are read and
/// checked for what matters: every YAML parses; each Kubernetes object loads strictly into the
/// Kubernetes client's typed models (an unknown or misspelt field fails); the Deployment, Service,
/// PDB, HPA and migration Job fit together; and every setting they pass to the service is one the
/// service reads, so a typo in an environment variable name fails here rather than being ignored
/// in production.
/// </summary>
public sealed class DeploymentManifestTests
{
    private static readonly string Root = RepositoryPaths.Root;
    private static readonly string Deploy = Path.Combine(Root, "deploy");
    private static readonly string Kubernetes = Path.Combine(Deploy, "kubernetes");

    /// <summary>Manifests kept out of the kustomization on purpose (see the comments in kustomization.yaml).</summary>
    private static readonly string[] NotInKustomization = ["secret.example.yaml", "migration-job.yaml", "operator-pod.yaml"];

    /// <summary>
    /// Settings the service reads that appsettings*.json doesn't list; each is documented in
    /// docs/operations.md (checked below). ASP.NET Core's and .NET's own variables are named one by one.
    /// </summary>
    private static readonly string[] DocumentedExtraSettings =
    [
        "DataProtection__CertificatePath",
        "DataProtection__CertificatePassword",
        "Mail__SendGrid__Timeout",
        "SignInLockout__FailureMemory",
        "Proxy__TrustedNetworks__<n>",
        "Telemetry__MetricsPort",
    ];

    private static readonly string[] PlatformVariables =
    [
        "ASPNETCORE_ENVIRONMENT",
        "ASPNETCORE_URLS",
        "ASPNETCORE_HTTP_PORTS",
        "ASPNETCORE_FORWARDEDHEADERS_ENABLED",
        "DOTNET_ENVIRONMENT",
        "DOTNET_gcServer",
    ];

    [Test]
    public void EveryYamlFileUnderDeploy_Parses()
    {
        var files = YamlFiles(Deploy);
        Assert.That(files.Select(Path.GetFileName), Is.SupersetOf(new[]
        {
            "compose.yaml", "configmap.yaml", "secret.example.yaml", "deployment.yaml", "service.yaml", "ingress.yaml",
            "pdb.yaml", "hpa.yaml", "migration-job.yaml", "operator-pod.yaml", "kustomization.yaml",
        }));
        Assert.Multiple(() =>
        {
            foreach (var file in files)
            {
                Assert.That(() => Load(file), Throws.Nothing, Relative(file));
                Assert.That(Load(file), Is.Not.Empty, Relative(file));
            }
        });
    }

    [Test]
    public void EveryKubernetesDocument_HasApiVersionKindAndName_AndLoadsStrictlyIntoTheKubernetesModels()
    {
        Assert.Multiple(() =>
        {
            foreach (var (file, document) in KubernetesDocuments())
            {
                var where = Relative(file);
                Assert.That(Text(document, "apiVersion"), Is.Not.Null.And.Not.Empty, where);
                Assert.That(Text(document, "kind"), Is.Not.Null.And.Not.Empty, where);
                if (Text(document, "kind") != "Kustomization")
                {
                    Assert.That(Text(document, "metadata", "name"), Is.Not.Null.And.Not.Empty, where);
                    Assert.That(Node(document, "metadata", "namespace"), Is.Null, $"{where}: namespace-agnostic, the namespace comes from kubectl -n or the kustomization");
                }
            }

            foreach (var file in YamlFiles(Kubernetes).Where(f => Path.GetFileName(f) != "kustomization.yaml"))
            {
                // strict: an unknown field (a typo, a field at the wrong level) throws.
                Assert.That(() => KubernetesYaml.LoadAllFromString(File.ReadAllText(file), null, true), Throws.Nothing, Relative(file));
            }
        });
    }

    [Test]
    public void Kustomization_ListsEveryManifest_ButTheSecretExample_TheMigrationJob_AndTheOperatorPod()
    {
        var kustomization = Load(Path.Combine(Kubernetes, "kustomization.yaml")).Single();
        var resources = Sequence(kustomization, "resources").Select(n => ((YamlScalarNode)n).Value!).ToList();
        var manifests = YamlFiles(Kubernetes).Select(Path.GetFileName).Where(f => f != "kustomization.yaml").ToList();

        Assert.That(resources, Is.EquivalentTo(manifests.Except(NotInKustomization)));
        Assert.That(Text(Sequence(kustomization, "images").Single(), "name"), Is.EqualTo("registry.example.jp/kosmo/idp"));
    }

    [Test]
    public void Deployment_HasTwoReplicas_ProbesOnTheHealthEndpoints_RunsAsNonRoot_AndIsSized()
    {
        var deployment = Typed<V1Deployment>("deployment.yaml");
        var pod = deployment.Spec.Template.Spec;
        var container = pod.Containers.Single();
        var port = container.Ports.Single(p => p.Name == "http");

        Assert.Multiple(() =>
        {
            Assert.That(deployment.Spec.Replicas, Is.GreaterThanOrEqualTo(2));
            Assert.That(port.ContainerPort, Is.EqualTo(8080), "the image listens on 8080 (ASPNETCORE_HTTP_PORTS)");
            Assert.That(container.Image, Is.EqualTo("registry.example.jp/kosmo/idp:1.0.0"));

            Assert.That(container.LivenessProbe?.HttpGet?.Path, Is.EqualTo("/health/live"));
            Assert.That(container.ReadinessProbe?.HttpGet?.Path, Is.EqualTo("/health/ready"));
            Assert.That(container.StartupProbe?.HttpGet?.Path, Is.EqualTo("/health/ready"));
            foreach (var probe in new[] { container.LivenessProbe, container.ReadinessProbe, container.StartupProbe })
            {
                var target = probe!.HttpGet.Port.Value;
                Assert.That(target == port.Name || target == port.ContainerPort.ToString(), Is.True, $"probe port {target} is the container port");
            }

            Assert.That(pod.SecurityContext.RunAsNonRoot, Is.True);
            Assert.That(pod.SecurityContext.RunAsUser, Is.Not.Null.And.Not.Zero);
            Assert.That(container.SecurityContext.ReadOnlyRootFilesystem, Is.True);
            Assert.That(container.SecurityContext.AllowPrivilegeEscalation, Is.False);
            Assert.That(container.VolumeMounts.Select(m => m.MountPath), Does.Contain("/tmp"));

            Assert.That(container.Resources.Requests.Keys, Is.SupersetOf(new[] { "cpu", "memory" }));
            Assert.That(container.Resources.Limits.Keys, Does.Contain("memory"));
            Assert.That(container.Resources.Requests["memory"].ToInt64(), Is.GreaterThan(160L * 1000 * 1000), "above the idle RSS measured in docs/benchmarks.md");
            Assert.That(container.Resources.Limits["memory"].ToInt64(), Is.GreaterThan(container.Resources.Requests["memory"].ToInt64()));

            Assert.That(container.Lifecycle?.PreStop, Is.Not.Null, "drain before shutdown");
            Assert.That(pod.TerminationGracePeriodSeconds, Is.GreaterThan(30));
            Assert.That(pod.TopologySpreadConstraints?.Any(c => c.TopologyKey == "kubernetes.io/hostname") == true || pod.Affinity?.PodAntiAffinity is not null, Is.True, "replicas spread over nodes");
        });
    }

    [Test]
    public void ServicePdbAndHpa_TargetTheDeploymentsPods_AndTheServiceNotTheMigrationJob()
    {
        var deployment = Typed<V1Deployment>("deployment.yaml");
        var podLabels = deployment.Spec.Template.Metadata.Labels;
        var service = Typed<V1Service>("service.yaml");
        var pdb = Typed<V1PodDisruptionBudget>("pdb.yaml");
        var hpa = Typed<V2HorizontalPodAutoscaler>("hpa.yaml");
        var job = Typed<V1Job>("migration-job.yaml");
        var ingress = Typed<V1Ingress>("ingress.yaml");

        Assert.Multiple(() =>
        {
            Assert.That(Selects(deployment.Spec.Selector.MatchLabels, podLabels), Is.True, "the Deployment's selector matches its pods");
            Assert.That(Selects(service.Spec.Selector, podLabels), Is.True, "the Service selects the Deployment's pods");
            Assert.That(Selects(service.Spec.Selector, job.Spec.Template.Metadata.Labels), Is.False, "the Service never sends traffic to the migration Job");
            Assert.That(Selects(service.Spec.Selector, Typed<V1Pod>("operator-pod.yaml").Metadata.Labels), Is.False, "nor to the operator pod");
            var servicePort = service.Spec.Ports.Single();
            var containerPort = deployment.Spec.Template.Spec.Containers.Single().Ports.Single(p => p.Name == "http");
            Assert.That(servicePort.TargetPort.Value, Is.AnyOf(containerPort.Name, containerPort.ContainerPort.ToString()));

            Assert.That(pdb.Spec.MinAvailable?.Value, Is.EqualTo("1"));
            Assert.That(pdb.Spec.Selector.MatchLabels, Is.EquivalentTo(deployment.Spec.Selector.MatchLabels));
            Assert.That(Selects(pdb.Spec.Selector.MatchLabels, job.Spec.Template.Metadata.Labels), Is.False);

            Assert.That(hpa.ApiVersion, Is.EqualTo("autoscaling/v2"));
            Assert.That(hpa.Spec.ScaleTargetRef.Kind, Is.EqualTo("Deployment"));
            Assert.That(hpa.Spec.ScaleTargetRef.Name, Is.EqualTo(deployment.Metadata.Name));
            Assert.That(hpa.Spec.MinReplicas, Is.EqualTo(2));
            Assert.That(hpa.Spec.MaxReplicas, Is.EqualTo(6));
            Assert.That(hpa.Spec.Metrics.Single().Resource.Target.AverageUtilization, Is.EqualTo(70));

            var backend = ingress.Spec.Rules.Single().Http.Paths.Single().Backend.Service;
            Assert.That(backend.Name, Is.EqualTo(service.Metadata.Name));
            Assert.That(backend.Port.Name ?? backend.Port.Number?.ToString(), Is.AnyOf(servicePort.Name, servicePort.Port.ToString()));
            Assert.That(ingress.Spec.Tls.Single().SecretName, Is.Not.Empty);
            Assert.That(ingress.Spec.Tls.Single().Hosts, Does.Contain(ingress.Spec.Rules.Single().Host));
        });
    }

    [Test]
    public void MigrationJob_RunsMigrate_WithTheDeploymentsImageAndConfiguration()
    {
        var deployment = Typed<V1Deployment>("deployment.yaml").Spec.Template.Spec;
        var job = Typed<V1Job>("migration-job.yaml").Spec.Template.Spec;
        var server = deployment.Containers.Single();
        var migrate = job.Containers.Single();

        Assert.Multiple(() =>
        {
            Assert.That((migrate.Command ?? []).Concat(migrate.Args ?? []).ToList(), Is.EqualTo(new[] { "migrate" }), "the image's entrypoint is `dotnet Kosmo.Idp.dll`");
            Assert.That(migrate.Image, Is.EqualTo(server.Image));
            Assert.That(EnvSources(migrate), Is.EquivalentTo(EnvSources(server)));
            Assert.That(migrate.VolumeMounts.Select(m => m.MountPath), Is.EquivalentTo(server.VolumeMounts.Select(m => m.MountPath)), "the certificate too");
            Assert.That(job.RestartPolicy, Is.EqualTo("Never"));
            Assert.That(job.SecurityContext.RunAsNonRoot, Is.True);
        });
    }

    [Test]
    public void OperatorPod_HasTheDeploymentsImageAndConfiguration_AWritableTmp_AndMemoryForALargeImport()
    {
        var server = Typed<V1Deployment>("deployment.yaml").Spec.Template.Spec.Containers.Single();
        var pod = Typed<V1Pod>("operator-pod.yaml").Spec;
        var operatorContainer = pod.Containers.Single();

        Assert.Multiple(() =>
        {
            Assert.That(operatorContainer.Image, Is.EqualTo(server.Image));
            Assert.That(EnvSources(operatorContainer), Is.EquivalentTo(EnvSources(server)));
            Assert.That(operatorContainer.VolumeMounts.Select(m => m.MountPath), Is.EquivalentTo(server.VolumeMounts.Select(m => m.MountPath)), "the certificate and /tmp");
            Assert.That(operatorContainer.SecurityContext.ReadOnlyRootFilesystem, Is.True);
            Assert.That(pod.SecurityContext.RunAsNonRoot, Is.True);
            Assert.That(pod.ActiveDeadlineSeconds, Is.Not.Null, "a forgotten pod ends by itself");
            Assert.That(operatorContainer.Resources.Limits["memory"].ToInt64(), Is.GreaterThanOrEqualTo(2 * server.Resources.Limits["memory"].ToInt64()),
                "room for an import of the whole roster (docs/benchmarks.md)");
        });
    }

    [Test]
    public void Settings_TheConfigMapAndSecretPointAtTheMountedCertificate_AndDisableMigrateOnStart()
    {
        var settings = Typed<V1ConfigMap>("configmap.yaml").Data;
        var deployment = Typed<V1Deployment>("deployment.yaml").Spec.Template.Spec;
        var secrets = KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Kubernetes, "secret.example.yaml"))).Cast<V1Secret>().ToList();
        var certificateVolume = deployment.Volumes.Single(v => v.Secret is not null);
        var mount = deployment.Containers.Single().VolumeMounts.Single(m => m.Name == certificateVolume.Name);
        var certificateSecret = secrets.Single(s => s.Metadata.Name == certificateVolume.Secret.SecretName);

        Assert.Multiple(() =>
        {
            Assert.That(settings["Database__MigrateOnStart"], Is.EqualTo("false"));
            // /metrics only on a port the Service (and so the Ingress) does not carry.
            var metricsPort = int.Parse(settings["Telemetry__MetricsPort"]);
            Assert.That(settings["ASPNETCORE_HTTP_PORTS"].Split(';').Select(int.Parse), Does.Contain(metricsPort).And.Contain(8080));
            Assert.That(deployment.Containers.Single().Ports.Select(p => p.ContainerPort), Does.Contain(metricsPort));
            Assert.That(Typed<V1Service>("service.yaml").Spec.Ports.Select(p => p.TargetPort.Value), Does.Not.Contain(metricsPort.ToString()).And.Not.Contain("metrics"));
            Assert.That(settings["ASPNETCORE_ENVIRONMENT"], Is.EqualTo("Production"));
            Assert.That(settings["Protocol__Issuer"], Does.StartWith("https://"));
            Assert.That(settings["DataProtection__CertificatePath"], Is.EqualTo(mount.MountPath + "/" + certificateSecret.Data.Keys.Single()));
            Assert.That(mount.ReadOnlyProperty, Is.True);
            var environmentSecret = secrets.Single(s => s.Metadata.Name == deployment.Containers.Single().EnvFrom.Single(e => e.SecretRef is not null).SecretRef.Name);
            Assert.That(environmentSecret.StringData.Keys, Is.SupersetOf(new[] { "ConnectionStrings__Kosmo", "Mail__SendGrid__ApiKey", "DataProtection__CertificatePassword" }));
            Assert.That(settings.Keys.Intersect(environmentSecret.StringData.Keys), Is.Empty, "a setting is either plain or secret");
            var container = deployment.Containers.Single();
            foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
            {
                Assert.That(probe.HttpGet.Path, Does.StartWith("/health/"), "the paths host filtering lets through by the pod's IP");
            }
        });
    }

    [Test]
    public void EveryEnvironmentVariableTheManifestsSet_IsASettingTheServiceReads()
    {
        var known = KnownSettings();
        var names = new List<(string Where, string Name)>();
        names.AddRange(Typed<V1ConfigMap>("configmap.yaml").Data.Keys.Select(k => ("configmap.yaml", k)));
        foreach (var secret in KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Kubernetes, "secret.example.yaml"))).Cast<V1Secret>())
        {
            if (secret.Metadata.Name == "kosmo-idp-dataprotection")
            {
                continue; // a file mounted as a volume, not environment variables
            }

            names.AddRange((secret.StringData?.Keys ?? []).Concat(secret.Data?.Keys ?? []).Select(k => ("secret.example.yaml", k)));
        }

        foreach (var (file, spec) in new[] { ("deployment.yaml", Typed<V1Deployment>("deployment.yaml").Spec.Template.Spec), ("migration-job.yaml", Typed<V1Job>("migration-job.yaml").Spec.Template.Spec) })
        {
            names.AddRange(spec.Containers.SelectMany(c => c.Env ?? []).Select(e => (file, e.Name)));
        }

        var compose = Load(Path.Combine(Deploy, "compose.yaml")).Single();
        foreach (var service in new[] { "idp", "migrate" })
        {
            names.AddRange(Mapping(compose, "services", service, "environment").Children.Keys.Select(k => ("compose.yaml " + service, ((YamlScalarNode)k).Value!)));
        }

        Assert.That(names, Has.Count.GreaterThan(10));
        Assert.Multiple(() =>
        {
            foreach (var (where, name) in names)
            {
                Assert.That(IsKnownSetting(known, name), Is.True, $"{where}: {name} is not a setting Kosmo.Idp reads");
            }
        });
    }

    [Test]
    public void TheSettingsCheck_RefusesATypo_AndTheExtraSettingsAreDocumented()
    {
        var known = KnownSettings();
        var operations = File.ReadAllText(Path.Combine(Root, "docs", "operations.md"));

        Assert.Multiple(() =>
        {
            Assert.That(IsKnownSetting(known, "Protocol__Issuer"), Is.True);
            Assert.That(IsKnownSetting(known, "RelyingApps__Apps__3__RedirectUris__1"), Is.True);
            Assert.That(IsKnownSetting(known, "Protocol__Isuer"), Is.False);
            Assert.That(IsKnownSetting(known, "Protocol:Issuer"), Is.False, "the environment uses __");
            Assert.That(IsKnownSetting(known, "RelyingApps__Apps__0__RedirectUri"), Is.False);
            Assert.That(IsKnownSetting(known, "ASPNETCORE_FORWARDEDHEADERS_ENABLE"), Is.False);
            foreach (var extra in DocumentedExtraSettings)
            {
                // A boolean, not Does.Contain: a failure must not print the whole document.
                Assert.That(operations.Contains(extra.Replace("<n>", "0"), StringComparison.Ordinal), Is.True, extra + " is documented in docs/operations.md");
            }
        });
    }

    [Test]
    public void Compose_StartsTheProviderAfterTheMigrationAndAHealthyDatabase()
    {
        var compose = Load(Path.Combine(Deploy, "compose.yaml")).Single();
        var services = Mapping(compose, "services");

        Assert.Multiple(() =>
        {
            Assert.That(services.Children.Keys.Select(k => ((YamlScalarNode)k).Value), Is.SupersetOf(new[] { "postgres", "migrate", "idp" }));
            Assert.That(Text(compose, "services", "idp", "depends_on", "migrate", "condition"), Is.EqualTo("service_completed_successfully"));
            Assert.That(Text(compose, "services", "idp", "depends_on", "postgres", "condition"), Is.EqualTo("service_healthy"));
            Assert.That(Text(compose, "services", "migrate", "depends_on", "postgres", "condition"), Is.EqualTo("service_healthy"));
            Assert.That(Sequence(compose, "services", "migrate", "command").Select(n => ((YamlScalarNode)n).Value), Is.EqualTo(new[] { "migrate" }));
            Assert.That(Text(compose, "services", "postgres", "image"), Does.StartWith("postgres:17"));
            Assert.That(Sequence(compose, "services", "postgres", "healthcheck", "test").Select(n => ((YamlScalarNode)n).Value), Does.Contain("pg_isready"));
            Assert.That(Text(compose, "services", "idp", "build", "dockerfile"), Is.EqualTo("Dockerfile"));
            Assert.That(Text(compose, "services", "idp", "environment", "Database__MigrateOnStart"), Is.EqualTo("false"));
            Assert.That(Text(compose, "services", "idp", "environment", "ASPNETCORE_ENVIRONMENT"), Is.EqualTo("Development"), "the demo app and members exist only in Development");
        });
    }

    // --- the list of settings -------------------------------------------------------------------------

    /// <summary>Every key of appsettings.json and appsettings.Development.json in environment form, list indexes as &lt;n&gt;.</summary>
    private static HashSet<string> KnownSettings()
    {
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in new[] { "appsettings.json", "appsettings.Development.json" })
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "Kosmo.Idp", file)));
            Flatten(json.RootElement, "", known);
        }

        known.UnionWith(DocumentedExtraSettings);
        return known;
    }

    private static void Flatten(JsonElement element, string prefix, HashSet<string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix.Length == 0 ? property.Name : prefix + "__" + property.Name, into);
                }

                break;
            case JsonValueKind.Array:
                into.Add(prefix + "__<n>");
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, prefix + "__<n>", into);
                }

                break;
            default:
                into.Add(prefix);
                break;
        }
    }

    private static bool IsKnownSetting(HashSet<string> known, string name) =>
        PlatformVariables.Contains(name, StringComparer.Ordinal)
        || known.Contains(string.Join("__", name.Split("__").Select(part => part.Length > 0 && part.All(char.IsAsciiDigit) ? "<n>" : part)));

    // --- reading YAML -----------------------------------------------------------------------------------

    private static List<string> YamlFiles(string folder) =>
        Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>All documents of a file, with merge keys (`&lt;&lt;: *anchor`, used by compose.yaml) resolved.</summary>
    private static List<YamlNode> Load(string file)
    {
        using var reader = new StringReader(File.ReadAllText(file));
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return stream.Documents.Select(d => d.RootNode).ToList();
    }

    private static IEnumerable<(string File, YamlNode Document)> KubernetesDocuments() =>
        YamlFiles(Kubernetes).SelectMany(file => Load(file).Select(document => (file, document)));

    private static T Typed<T>(string file) => KubernetesYaml.LoadAllFromString(File.ReadAllText(Path.Combine(Kubernetes, file))).OfType<T>().Single();

    private static YamlNode? Node(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private static string? Text(YamlNode node, params string[] path) => (Node(node, path) as YamlScalarNode)?.Value;

    private static YamlMappingNode Mapping(YamlNode node, params string[] path) =>
        Node(node, path) as YamlMappingNode ?? throw new AssertionException($"no mapping at {string.Join('.', path)}");

    private static YamlSequenceNode Sequence(YamlNode node, params string[] path) =>
        Node(node, path) as YamlSequenceNode ?? throw new AssertionException($"no list at {string.Join('.', path)}");

    private static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);

    private static IEnumerable<string> EnvSources(V1Container container) =>
        (container.EnvFrom ?? []).Select(e => e.ConfigMapRef?.Name ?? e.SecretRef?.Name ?? "");

    private static string Relative(string file) => Path.GetRelativePath(Root, file);
}
