use super::*;

fn convert(command: &str) -> Converted {
    docker_run_to_compose(command).expect("the command converts")
}

fn yaml(command: &str) -> String {
    let converted = convert(command);
    assert_parses(&converted.yaml);
    converted.yaml
}

fn error(command: &str) -> RunError {
    docker_run_to_compose(command).expect_err("the command is refused")
}

fn texts(input: &str) -> Vec<Vec<String>> {
    tokenize(input)
        .expect("the input tokenizes")
        .into_iter()
        .map(|words| words.into_iter().map(|w| w.text).collect())
        .collect()
}

/// The scalars of a YAML document in order, proving it parses.
fn scalars(yaml: &str) -> Vec<String> {
    saphyr_parser::Parser::new_from_str(yaml)
        .map(|event| event.expect("the YAML parses").0)
        .filter_map(|event| match event {
            saphyr_parser::Event::Scalar(value, ..) => Some(value.into_owned()),
            _ => None,
        })
        .collect()
}

fn assert_parses(yaml: &str) {
    assert!(!scalars(yaml).is_empty(), "{yaml}");
}

#[test]
fn the_classic_composerize_example_becomes_an_nginx_service() {
    let converted = convert(
        "docker run -d -p 80:80 -v /var/run/docker.sock:/tmp/docker.sock:ro --restart always --log-opt max-size=1g nginx",
    );
    assert_eq!(converted.service_name, "nginx");
    assert_eq!(
        converted.yaml,
        "services:
  nginx:
    image: nginx
    ports:
      - \"80:80\"
    volumes:
      - /var/run/docker.sock:/tmp/docker.sock:ro
    restart: always
    logging:
      options:
        max-size: 1g
"
    );
    assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
    assert_parses(&converted.yaml);
}

#[test]
fn a_named_volume_is_declared_at_the_top_level_with_a_warning() {
    let converted = convert(
        "docker run -d -p 8000:8000 -p 9443:9443 --name portainer --restart=always \
             -v /var/run/docker.sock:/var/run/docker.sock -v portainer_data:/data \
             portainer/portainer-ce:latest",
    );
    assert_eq!(
        converted.yaml,
        "services:
  portainer:
    image: portainer/portainer-ce:latest
    container_name: portainer
    ports:
      - \"8000:8000\"
      - \"9443:9443\"
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - portainer_data:/data
    restart: always
volumes:
  portainer_data: {}
"
    );
    assert_eq!(converted.warnings.len(), 1);
    assert!(converted.warnings[0].contains("`portainer_data`"));
}

#[test]
fn a_multi_line_command_with_a_prompt_sudo_and_backslashes_converts() {
    let command = "$ sudo docker run -d \\
    --name=jellyfin \\
    -e PUID=1000 \\
    -e PGID=1000 \\
    -e TZ=Etc/UTC \\
    -p 8096:8096 \\
    -p 7359:7359/udp \\
    -v /path/to/library:/config \\
    --restart unless-stopped \\
    lscr.io/linuxserver/jellyfin:latest
";
    let expected = "services:
  jellyfin:
    image: lscr.io/linuxserver/jellyfin:latest
    container_name: jellyfin
    ports:
      - \"8096:8096\"
      - \"7359:7359/udp\"
    volumes:
      - /path/to/library:/config
    environment:
      - PUID=1000
      - PGID=1000
      - TZ=Etc/UTC
    restart: unless-stopped
";
    assert_eq!(yaml(command), expected);
    // Windows line endings and a stray blank after a backslash, as web pages leave them.
    let sloppy = command.replace(" \\\n", " \\ \r\n");
    assert_eq!(yaml(&sloppy), expected);
}

#[test]
fn environment_accepts_every_form_of_the_env_option() {
    let converted = yaml(
        "docker run -e A=1 --env=B=2 -eC=3 -e D -e 'E=hello world' -e \"F=a: b\" \
             --env G= -e 'PASS=pa$$word' -e HOME_DIR=$HOME alpine",
    );
    assert_eq!(
        converted,
        "services:
  alpine:
    image: alpine
    environment:
      - A=1
      - B=2
      - C=3
      - D
      - E=hello world
      - \"F=a: b\"
      - G=
      - PASS=pa$$$$word
      - HOME_DIR=$HOME
"
    );
}

#[test]
fn literal_dollars_are_escaped_and_variables_are_kept_with_a_warning() {
    let converted = convert("docker run -e \"URL=$BASE/x\" alpine sh -c 'echo $HOME'");
    assert!(
        converted.yaml.contains("- URL=$BASE/x\n"),
        "{}",
        converted.yaml
    );
    assert!(
        converted.yaml.contains("- echo $$HOME\n"),
        "{}",
        converted.yaml
    );
    assert_eq!(converted.warnings.len(), 1, "{:?}", converted.warnings);
    assert!(converted.warnings[0].contains("$VARIABLE"));
}

#[test]
fn the_current_directory_becomes_the_project_directory() {
    let converted = convert(
        "docker run -v $(pwd)/data:/data -v \"$PWD\":/app -v `pwd`/x:/x -v ${PWD}/y:/y node",
    );
    assert!(
        converted.yaml.contains(
            "    volumes:\n      - ./data:/data\n      - .:/app\n      - ./x:/x\n      - ./y:/y\n"
        ),
        "{}",
        converted.yaml
    );
    assert_eq!(converted.warnings.len(), 1, "{:?}", converted.warnings);
    assert!(
        !converted.yaml.contains("\nvolumes:"),
        "bind mounts declare nothing"
    );
}

#[test]
fn command_substitution_is_kept_and_flagged() {
    let converted = convert("docker run -e TOKEN=$(cat token) alpine");
    assert_eq!(converted.service_name, "alpine");
    assert!(
        converted.yaml.contains("- TOKEN=$(cat token)\n"),
        "{}",
        converted.yaml
    );
    assert!(
        converted
            .warnings
            .iter()
            .any(|w| w.contains("command substitution") && w.contains("word 4")),
        "{:?}",
        converted.warnings
    );
}

#[test]
fn mount_options_become_the_long_volume_syntax_and_tmpfs_entries() {
    let converted = yaml(
        "docker run \
             --mount type=bind,source=/srv/app,target=/app,readonly \
             --mount type=volume,src=data,dst=/data,volume-nocopy \
             --mount type=tmpfs,destination=/cache,tmpfs-size=64m,tmpfs-mode=1770 \
             --mount 'type=volume,source=nfs,target=/nfs,volume-driver=local,\"volume-opt=o=addr=10.0.0.1,rw\",volume-opt=type=nfs' \
             --mount type=bind,src=/etc/ssl,dst=/ssl,ro=true,bind-propagation=rslave \
             busybox",
    );
    assert_eq!(
        converted,
        "services:
  busybox:
    image: busybox
    volumes:
      - type: bind
        source: /srv/app
        target: /app
        read_only: true
      - type: volume
        source: data
        target: /data
        volume:
          nocopy: true
      - type: volume
        source: nfs
        target: /nfs
      - type: bind
        source: /etc/ssl
        target: /ssl
        read_only: true
        bind:
          propagation: rslave
    tmpfs:
      - /cache:size=64m,mode=1770
volumes:
  data: {}
  nfs:
    driver: local
    driver_opts:
      o: addr=10.0.0.1,rw
      type: nfs
"
    );
}

#[test]
fn mount_mistakes_are_refused_naming_the_key() {
    let message = error("docker run --mount type=bind,target=/x alpine").to_string();
    assert!(message.contains("needs a source"), "{message}");
    let message = error("docker run --mount src=data alpine").to_string();
    assert!(message.contains("needs a target"), "{message}");
    let message = error("docker run --mount type=bind,src=/a,dst=/b,sparkle=1 alpine").to_string();
    assert!(
        message.contains("unknown --mount key `sparkle`"),
        "{message}"
    );
    let message =
        error("docker run --mount type=bind,src=/a,dst=/b,volume-nocopy alpine").to_string();
    assert!(message.contains("type=volume"), "{message}");
}

#[test]
fn health_options_become_a_healthcheck_in_compose_order() {
    let converted = yaml(
        "docker run --health-retries 3 --health-cmd 'curl -f http://localhost/ || exit 1' \
             --health-interval=30s --health-timeout 5s --health-start-period 10s nginx",
    );
    assert_eq!(
        converted,
        "services:
  nginx:
    image: nginx
    healthcheck:
      test:
        - CMD-SHELL
        - curl -f http://localhost/ || exit 1
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 10s
"
    );
    assert!(
        yaml("docker run --no-healthcheck nginx")
            .ends_with("    healthcheck:\n      disable: true\n")
    );
    assert!(matches!(
        error("docker run --no-healthcheck --health-cmd true nginx"),
        RunError::Conflict { position: 3, .. }
    ));
    assert!(matches!(
        error("docker run --health-retries often nginx"),
        RunError::InvalidValue { position: 3, .. }
    ));
}

#[test]
fn combined_short_flags_split_like_the_docker_cli() {
    let converted = convert(
        "docker run -dit -p8080:80 -eFOO=bar -v=/a:/b --rm -P ubuntu:22.04 bash -c 'echo hi'",
    );
    assert_eq!(
        converted.yaml,
        "services:
  ubuntu:
    image: ubuntu:22.04
    stdin_open: true
    tty: true
    ports:
      - \"8080:80\"
    volumes:
      - /a:/b
    environment:
      - FOO=bar
    command:
      - bash
      - -c
      - echo hi
"
    );
    assert_eq!(converted.warnings, [RM_WARNING, PUBLISH_ALL_WARNING]);
    // `-it=false` style values and `--flag=false` turn a flag back off.
    let off = yaml("docker run -i -t=false --init --init=false alpine");
    assert_eq!(
        off,
        "services:\n  alpine:\n    image: alpine\n    stdin_open: true\n"
    );
}

#[test]
fn arguments_after_the_image_belong_to_the_command_even_when_they_look_like_options() {
    let converted = yaml("docker run --rm -- redis:7 redis-server --appendonly yes --port 6380");
    assert!(
            converted.ends_with(
                "    command:\n      - redis-server\n      - --appendonly\n      - \"yes\"\n      - --port\n      - \"6380\"\n"
            ),
            "{converted}"
        );
}

#[test]
fn every_supported_option_lands_on_its_key_in_a_stable_order() {
    let converted = convert(
        "docker run --runtime runc --cgroupns private --userns host --group-add video \
             --pull always --platform linux/amd64 --stop-timeout 30 --stop-signal SIGINT \
             --sysctl net.core.somaxconn=1024 --ipc=host --pid host --log-opt max-file=3 \
             --log-driver json-file --read-only --init --shm-size 1g --cpu-shares 512 --cpus .5 \
             --memory-reservation 256m -m 512m --memory-swap -1 --ulimit nofile=1024:2048 \
             --ulimit nproc=512 --security-opt no-new-privileges:true --device /dev/ttyUSB0 \
             --privileged --cap-drop ALL --cap-add NET_ADMIN --dns-search example.com \
             --dns 1.1.1.1 --add-host db:10.0.0.2 -h web --entrypoint /init -u 1000:1000 \
             -w /srv --restart no -l traefik.enable=true --env-file .env --tmpfs /run \
             --expose 9000 --name /My.App example/app --port 8080",
    );
    assert_eq!(converted.service_name, "my-app");
    assert_eq!(
        converted.yaml,
        "services:
  my-app:
    image: example/app
    container_name: My.App
    expose:
      - \"9000\"
    tmpfs:
      - /run
    env_file:
      - .env
    labels:
      - traefik.enable=true
    restart: \"no\"
    working_dir: /srv
    user: \"1000:1000\"
    entrypoint:
      - /init
    hostname: web
    extra_hosts:
      - db:10.0.0.2
    dns:
      - \"1.1.1.1\"
    dns_search:
      - example.com
    cap_add:
      - NET_ADMIN
    cap_drop:
      - ALL
    privileged: true
    devices:
      - /dev/ttyUSB0
    security_opt:
      - no-new-privileges:true
    ulimits:
      nofile:
        soft: 1024
        hard: 2048
      nproc: 512
    mem_limit: 512m
    mem_reservation: 256m
    memswap_limit: -1
    cpus: 0.5
    cpu_shares: 512
    shm_size: 1g
    init: true
    read_only: true
    logging:
      driver: json-file
      options:
        max-file: \"3\"
    pid: host
    ipc: host
    sysctls:
      - net.core.somaxconn=1024
    stop_signal: SIGINT
    stop_grace_period: 30s
    platform: linux/amd64
    pull_policy: always
    group_add:
      - video
    userns_mode: host
    cgroup: private
    runtime: runc
    command:
      - --port
      - \"8080\"
"
    );
    assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
    assert_parses(&converted.yaml);
}

#[test]
fn an_empty_entrypoint_clears_the_image_entrypoint() {
    assert!(yaml("docker run --entrypoint '' alpine").ends_with("    entrypoint: []\n"));
}

#[test]
fn user_networks_are_joined_and_declared_external() {
    let converted = yaml(
        "docker run --network web --network-alias api --ip 172.20.0.5 --net=backend traefik/whoami",
    );
    assert_eq!(
        converted,
        "services:
  whoami:
    image: traefik/whoami
    networks:
      web:
        aliases:
          - api
        ipv4_address: \"172.20.0.5\"
      backend: {}
networks:
  web:
    external: true
  backend:
    external: true
"
    );
    assert!(yaml("docker run --network proxy nginx").contains("    networks:\n      - proxy\n"));
    assert!(
        yaml("docker run --network name=proxy,alias=web nginx")
            .contains("    networks:\n      proxy:\n        aliases:\n          - web\n")
    );
}

#[test]
fn special_networks_become_a_network_mode() {
    assert!(yaml("docker run --net=host nginx").contains("    network_mode: host\n"));
    assert!(
        yaml("docker run --network container:db nginx")
            .contains("    network_mode: container:db\n")
    );
    assert!(yaml("docker run --network default nginx").contains("    network_mode: bridge\n"));
    assert_eq!(
            error("docker run --network host --network web nginx"),
            RunError::Conflict {
                option: "--network".into(),
                position: 5,
                other: "`--network host` (word 3): a container in network mode `host` joins no other network".into(),
            }
        );
    assert!(matches!(
        error("docker run --network-alias api nginx"),
        RunError::Conflict { position: 3, .. }
    ));
}

#[test]
fn gpus_become_a_device_reservation_with_a_warning() {
    let converted = convert("docker run --gpus all nvidia/cuda:12.0-base nvidia-smi");
    assert_eq!(
        converted.yaml,
        "services:
  cuda:
    image: nvidia/cuda:12.0-base
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities:
                - gpu
    command:
      - nvidia-smi
"
    );
    assert_eq!(converted.warnings, [GPUS_WARNING]);
    assert_parses(&converted.yaml);
    let devices = yaml("docker run --gpus '\"device=0,1\",capabilities=compute' cuda");
    assert!(
            devices.contains(
                "            - driver: nvidia\n              device_ids:\n                - \"0\"\n                - \"1\"\n              capabilities:\n                - gpu\n                - compute\n"
            ),
            "{devices}"
        );
    assert!(yaml("docker run --gpus 2 cuda").contains("              count: 2\n"));
}

#[test]
fn the_service_name_comes_from_the_image_without_registry_tag_or_digest() {
    let name = |command: &str| convert(command).service_name;
    assert_eq!(name("docker run ghcr.io/linuxserver/nginx:1.2"), "nginx");
    assert_eq!(
        name("docker run localhost:5000/team/My_App@sha256:0123"),
        "my_app"
    );
    assert_eq!(
        name("docker run registry.example.com:443/a/b/web.server:latest"),
        "web-server"
    );
    assert_eq!(
        name("docker run --name '  Fancy  Name!! ' alpine"),
        "fancy-name"
    );
    assert_eq!(service_name(None, "__"), "app");
}

#[test]
fn docker_container_run_podman_and_full_paths_are_accepted() {
    for command in [
        "docker container run alpine",
        "podman run alpine",
        "/usr/bin/docker run alpine",
        "sudo -E docker run alpine",
        "sudo -u root docker run alpine",
        "  $ docker run alpine  ",
    ] {
        assert_eq!(convert(command).service_name, "alpine", "{command}");
    }
}

#[test]
fn other_commands_around_the_docker_run_are_ignored_with_a_warning() {
    let converted = convert(
        "docker pull nginx && docker run -d nginx\n# then check it\ndocker run -d redis; docker logs web",
    );
    assert_eq!(converted.service_name, "nginx");
    assert_eq!(
        converted.warnings,
        [
            "ignored `docker pull nginx` (word 1): only the docker run command is converted",
            "ignored the second docker run command starting at word 8: convert it separately",
            "ignored `docker logs web` (word 12): only the docker run command is converted",
        ]
    );
}

#[test]
fn what_is_not_a_docker_run_command_is_refused_naming_the_word() {
    assert_eq!(error(""), RunError::Empty);
    assert_eq!(error("  \\\n # just a comment"), RunError::Empty);
    assert_eq!(
        error("ls -la"),
        RunError::NotDockerRun {
            found: "`ls`".into(),
            position: 1
        }
    );
    assert_eq!(
        error("docker ps -a").to_string(),
        "not a docker run command: expected `docker run`, `docker container run` or `podman run` at word 2, found `ps`"
    );
    assert_eq!(
        error("docker container"),
        RunError::NotDockerRun {
            found: "the end of the command".into(),
            position: 3
        }
    );
}

#[test]
fn a_missing_image_names_the_last_word() {
    assert_eq!(
        error("docker run"),
        RunError::MissingImage {
            last: "run".into(),
            position: 2
        }
    );
    assert_eq!(
        error("docker run -d -p 80:80").to_string(),
        "the command names no image: it ends after word 5 (`80:80`)"
    );
    assert!(matches!(
        error("docker run -d ''"),
        RunError::MissingImage { position: 3, .. }
    ));
}

#[test]
fn an_option_without_its_value_is_refused() {
    assert_eq!(
        error("docker run -d -p"),
        RunError::MissingValue {
            option: "-p".into(),
            position: 4
        }
    );
    // After the image everything belongs to the command, even an option without its value.
    assert!(yaml("docker run nginx --name").ends_with("    command:\n      - --name\n"));
    assert_eq!(
        error("docker run --name").to_string(),
        "option `--name` (word 3) needs a value"
    );
}

#[test]
fn unknown_options_are_refused_rather_than_dropped() {
    assert_eq!(
        error("docker run --frobnicate nginx").to_string(),
        "unknown option `--frobnicate` in word 3 (`--frobnicate`)"
    );
    assert_eq!(
        error("docker run -dz nginx"),
        RunError::UnknownOption {
            option: "-z".into(),
            word: "-dz".into(),
            position: 3
        }
    );
}

#[test]
fn malformed_values_are_refused_naming_option_and_value() {
    assert_eq!(
        error("docker run --ulimit nofile=soft nginx").to_string(),
        "invalid value `nofile=soft` for `--ulimit` (word 3): `soft` is not a whole number"
    );
    for command in [
        "docker run --ulimit nofile nginx",
        "docker run --cpus many nginx",
        "docker run --cpu-shares 1.5 nginx",
        "docker run --stop-timeout 10s nginx",
        "docker run --log-opt max-size nginx",
        "docker run --rm=maybe nginx",
        "docker run --gpus device=0,count=1 nginx",
        "docker run --name / nginx",
    ] {
        assert!(
            matches!(error(command), RunError::InvalidValue { position: 3, .. }),
            "{command}"
        );
    }
}

#[test]
fn an_unterminated_quote_names_its_word() {
    assert_eq!(
        error("docker run -e 'A=1 nginx"),
        RunError::UnterminatedQuote {
            quote: "single",
            token: "'A=1 nginx".into(),
            position: 4
        }
    );
    assert_eq!(
        error("docker run --name \"web nginx").to_string(),
        "unterminated double quote in word 4: `\"web nginx`"
    );
}

#[test]
fn words_split_like_a_posix_shell() {
    assert_eq!(
        texts(r#"a 'b c' "d \"e\" \$f \x" g\ h '' i"j"'k'"#),
        [vec!["a", "b c", r#"d "e" $$f \x"#, "g h", "", "ijk"]]
    );
    assert_eq!(texts("a \\\n  b ab\\\ncd"), [vec!["a", "b", "abcd"]]);
    assert_eq!(
        texts("'multi\nline' \"x\\\ny\""),
        [vec!["multi\nline", "xy"]]
    );
    assert_eq!(
        texts("a; b && c || d | e & f\ng # no\nh#not-a-comment"),
        [
            vec!["a"],
            vec!["b"],
            vec!["c"],
            vec!["d"],
            vec!["e"],
            vec!["f"],
            vec!["g"],
            vec!["h#not-a-comment"]
        ]
    );
}

#[test]
fn dollars_stay_variables_only_where_the_shell_would_expand_them() {
    assert_eq!(
        texts(r#"$HOME '$HOME' "$HOME" \$HOME ${A:-b} $5 a$ $(pwd)/x "${PWD}" $PWDX"#),
        [vec![
            "$HOME", "$$HOME", "$HOME", "$$HOME", "${A:-b}", "$$5", "a$$", "./x", ".", "$PWDX"
        ]]
    );
    let words = tokenize("x $(pwd) \"$(date)\"").expect("the input tokenizes");
    let shown: Vec<&str> = words[0].iter().map(|w| w.shown.as_str()).collect();
    assert_eq!(shown, ["x", "$(pwd)", "$(date)"]);
    assert!(words[0][2].substitution && words[0][1].pwd);
}

#[test]
fn the_scalar_helper_leaves_ordinary_strings_plain() {
    for plain in [
        "nginx",
        "ghcr.io/linuxserver/nginx:1.2",
        "/var/run/docker.sock:/tmp/docker.sock:ro",
        "512m",
        "30s",
        "--config",
        "-c",
        "curl -f http://localhost/ || exit 1",
        "TZ=Europe/Berlin",
        ".env",
        "a,b",
        "héllo wörld",
    ] {
        assert_eq!(yaml_scalar(plain), plain);
    }
}

#[test]
fn the_scalar_helper_quotes_whatever_yaml_could_misread() {
    for (value, quoted) in [
        ("", r#""""#),
        ("80:80", r#""80:80""#),
        ("8080", r#""8080""#),
        ("-1", r#""-1""#),
        ("1.5", r#""1.5""#),
        (".5", r#"".5""#),
        ("0x1F", r#""0x1F""#),
        ("1_000", r#""1_000""#),
        ("1e3", r#""1e3""#),
        ("172.20.0.5", r#""172.20.0.5""#),
        (".inf", r#"".inf""#),
        ("-.NaN", r#""-.NaN""#),
        ("no", r#""no""#),
        ("Yes", r#""Yes""#),
        ("off", r#""off""#),
        ("NULL", r#""NULL""#),
        ("~", r#""~""#),
        ("y", r#""y""#),
        ("a: b", r#""a: b""#),
        ("key:", r#""key:""#),
        ("a #b", r##""a #b""##),
        ("#x", r##""#x""##),
        ("*x", r#""*x""#),
        ("&x", r#""&x""#),
        ("!x", r#""!x""#),
        ("|x", r#""|x""#),
        (">x", r#"">x""#),
        ("'x'", r#""'x'""#),
        ("\"x\"", r#""\"x\"""#),
        ("%x", r#""%x""#),
        ("@x", r#""@x""#),
        ("`x`", r#""`x`""#),
        ("{x}", r#""{x}""#),
        ("[x]", r#""[x]""#),
        ("a[0]", r#""a[0]""#),
        ("-", r#""-""#),
        ("- x", r#""- x""#),
        ("? x", r#""? x""#),
        (":", r#"":""#),
        ("---", r#""---""#),
        ("<<", r#""<<""#),
        (" lead", r#"" lead""#),
        ("trail ", r#""trail ""#),
        ("line\nbreak", r#""line\nbreak""#),
        ("tab\there", r#""tab\there""#),
        ("back\\slash: x", r#""back\\slash: x""#),
        ("bell\u{7}", r#""bell\u0007""#),
        ("sep\u{2028}", r#""sep\u2028""#),
    ] {
        assert_eq!(yaml_scalar(value), quoted, "{value:?}");
    }
}

#[test]
fn every_scalar_reads_back_as_the_same_string() {
    let values = [
        "nginx",
        "",
        "80:80",
        "a: b",
        "#x",
        "\"x\"",
        "back\\slash",
        "line\nbreak",
        "tab\there",
        "bell\u{7}",
        "sep\u{2028}",
        "-c",
        "--config",
        "no",
        "~",
        " lead",
        "http://x/?a=1&b=[2]",
        "héllo",
    ];
    let mut document = String::new();
    for value in values {
        document.push_str(&format!("- {}\n", yaml_scalar(value)));
    }
    assert_eq!(scalars(&document), values);
}

#[test]
fn nested_lists_and_maps_are_written_as_indented_blocks() {
    let tree = vec![(
        "root".to_owned(),
        Node::Seq(vec![
            Node::map([
                ("a", Node::str("1")),
                ("b", Node::Seq(vec![Node::raw("true")])),
            ]),
            Node::Seq(vec![Node::str("x")]),
            Node::Map(Vec::new()),
            Node::Quoted("q".into()),
        ]),
    )];
    let mut out = String::new();
    write_map(&mut out, &tree, 0);
    assert_eq!(
        out,
        "root:\n  - a: \"1\"\n    b:\n      - true\n  -\n    - x\n  - {}\n  - \"q\"\n"
    );
    assert_eq!(scalars(&out), ["root", "a", "1", "b", "true", "x", "q"]);
}

#[test]
fn odd_input_gives_an_answer_rather_than_a_panic() {
    for command in [
        "\\",
        "docker run \\",
        "docker run $(",
        "docker run `",
        "docker run -e $(echo (nested) x alpine",
        "docker run -é alpine",
        "docker run --=x alpine",
        "docker run - alpine",
        "docker run --mount '\"unterminated' alpine",
        "docker run --gpus '' alpine",
        "docker run -v C:\\\\data:/data alpine",
        "docker run ünïcödé/ïmage:tag",
        "&&&; ||",
    ] {
        let _ = docker_run_to_compose(command);
    }
    assert!(!yaml("docker run -v C:\\\\data:/data alpine").contains("\nvolumes:"));
}

#[test]
fn every_option_key_has_a_place_in_the_service_order() {
    for spec in OPTIONS {
        let key = match spec.action {
            Action::Flag(FlagAction::Set(key))
            | Action::Value(
                ValueAction::Str(key)
                | ValueAction::Int(key)
                | ValueAction::Bytes(key)
                | ValueAction::List(key)
                | ValueAction::QuotedList(key),
            ) => key,
            _ => continue,
        };
        assert!(
            SERVICE_KEYS.contains(&key),
            "--{} writes `{key}`",
            spec.long
        );
    }
    let mut longs: Vec<&str> = OPTIONS.iter().map(|s| s.long).collect();
    longs.sort_unstable();
    longs.dedup();
    assert_eq!(longs.len(), OPTIONS.len(), "no option is listed twice");
}
