package io.github.pythonrouter.streamapps;

import java.util.ArrayList;
import java.util.List;

import org.apache.commons.logging.LogFactory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.Environment;

/**
 * Entry point. {@code java -jar stream-apps.jar --spring.cloud.function.definition=time --k=v ...} runs one app.
 * Several apps can share one JVM (and its ~150 MB of loaded classes): separate their argument lists with a lone
 * {@code +}; each gets its own application context, properties and binder, exactly as if run alone.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class StreamApps {

	static final String NEXT_APP = "+";

	public static void main(String[] args) {
		for (List<String> app : split(args)) {
			ConfigurableApplicationContext context = new SpringApplication(StreamApps.class)
				.run(app.toArray(String[]::new));
			LogFactory.getLog(StreamApps.class).info(describe(context.getEnvironment()));
		}
	}

	/** Which app a context runs and where, since several share one log. */
	static String describe(Environment environment) {
		StringBuilder line = new StringBuilder("Running ")
			.append(environment.getProperty("spring.cloud.function.definition", "(no function definition)"));
		for (String binding : List.of("input", "output")) {
			String destination = environment.getProperty("spring.cloud.stream.bindings." + binding + ".destination");
			if (destination != null) {
				line.append(", ").append(binding).append(" ").append(destination);
			}
		}
		String logName = environment.getProperty("log.name");
		if (logName != null) {
			line.append(", log.name ").append(logName);
		}
		return line.toString();
	}

	static List<List<String>> split(String[] args) {
		List<List<String>> apps = new ArrayList<>();
		apps.add(new ArrayList<>());
		for (String arg : args) {
			if (NEXT_APP.equals(arg)) {
				apps.add(new ArrayList<>());
			}
			else {
				apps.get(apps.size() - 1).add(arg);
			}
		}
		return apps;
	}

}
