package io.pm500.runtime.internal;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * {@code pm500 set-password}: sets a Web Console password on the gateway's machine, so it is never printed, logged
 * or written in clear text (an installed gateway does not generate one: under systemd its standard output is the
 * journal, and apt keeps what a package script prints in {@code /var/log/apt/term.log}). Writes only the hash, as
 * the gateway's user; the running gateway takes it at the next login.
 *
 * <p>{@code java -cp pm500.runtime.jar io.pm500.runtime.internal.SetPassword [--data DIR] [--viewer] [--stdin]}:
 * the password is asked twice on the terminal, or read as one line from standard input with {@code --stdin}.
 */
public final class SetPassword {
    static final String USAGE = "usage: pm500 set-password [--viewer] [--stdin] [--data DIR]";

    private SetPassword() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.console(), System.in, System.out, System.err));
    }

    /** @return the exit status: 0 set, 1 not set (the message says why), 2 bad usage */
    static int run(String[] args, Console console, InputStream in, PrintStream out, PrintStream err) {
        Path data = Path.of("/var/lib/pm500");
        boolean viewer = false;
        boolean stdin = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--viewer" -> viewer = true;
                case "--stdin" -> stdin = true;
                case "--data" -> {
                    if (++i == args.length) {
                        err.println(USAGE);
                        return 2;
                    }
                    data = Path.of(args[i]);
                }
                default -> {
                    err.println("pm500 set-password: unknown option '" + args[i] + "'\n" + USAGE);
                    return 2;
                }
            }
        }
        String who = viewer ? "the read-only viewer" : "the administrator";
        char[] password;
        try {
            password = stdin || console == null ? readLine(in) : ask(console, who);
        } catch (IOException e) {
            err.println("pm500 set-password: " + e.getMessage());
            return 1;
        }
        try {
            if (password.length < ConsoleLogin.MIN_PASSWORD_LENGTH) {
                err.println("pm500 set-password: the password must have at least " + ConsoleLogin.MIN_PASSWORD_LENGTH
                        + " characters; nothing changed");
                return 1;
            }
            CredentialStore store = new CredentialStore(
                    data.resolve("console").resolve(viewer ? "viewer-credentials" : "credentials"));
            store.store(PasswordHash.create(password, new SecureRandom()));
            out.println("Web Console password of " + who + " set (its hash is in " + store.file() + "). The"
                    + " gateway uses it from the next login; no restart is needed.");
            return 0;
        } catch (IOException e) {
            err.println("pm500 set-password: cannot write the password hash: " + e
                    + " (run it as root or as the gateway's user)");
            return 1;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] ask(Console console, String who) throws IOException {
        char[] first = console.readPassword("New Web Console password of %s: ", who);
        char[] second = console.readPassword("Once more: ");
        if (first == null || second == null) {
            throw new IOException("no password entered; nothing changed");
        }
        try {
            if (!Arrays.equals(first, second)) {
                throw new IOException("the two passwords differ; nothing changed");
            }
            return first.clone();
        } finally {
            Arrays.fill(first, '\0');
            Arrays.fill(second, '\0');
        }
    }

    private static char[] readLine(InputStream in) throws IOException {
        String line = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
            throw new IOException("no password on standard input; nothing changed");
        }
        return line.toCharArray();
    }
}
