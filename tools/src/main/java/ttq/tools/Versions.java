package ttq.tools;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** Versions of ttq and its native dependencies, from the build (filtered resource). */
public final class Versions implements CommandLine.IVersionProvider {
    private static final Properties PROPS = new Properties();

    static {
        try (InputStream in = Versions.class.getResourceAsStream("/ttq-version.properties")) {
            if (in != null) {
                PROPS.load(in);
            }
        } catch (IOException e) {
            // versions are informative only; leave them unknown
        }
    }

    public static String ttq() {
        return PROPS.getProperty("version", "unknown");
    }

    public static String javacpp() {
        return PROPS.getProperty("javacpp", "unknown");
    }

    public static String openblas() {
        return PROPS.getProperty("openblas", "unknown");
    }

    @Override
    public String[] getVersion() {
        return new String[] {"ttq " + ttq() + " (javacpp " + javacpp() + ", openblas " + openblas() + ", java "
                + System.getProperty("java.version") + ")"};
    }
}
