package io.github.pythonrouter.streamapps;

import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.function.Supplier;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The time source ({@code time}): the current time, formatted by {@code time.date-format}, once per poll.
 * The poll is Spring Integration's default poller: every second unless {@code spring.integration.poller.fixed-delay}
 * says otherwise. The output binding is named {@code output} (application.properties), as in SCDF's prebuilt app.
 */
@Configuration(proxyBeanMethods = false)
public class TimeSource {

	@ConfigurationProperties("time")
	public record TimeProperties(String dateFormat) {
		public TimeProperties {
			if (dateFormat == null) {
				dateFormat = "MM/dd/yy HH:mm:ss";
			}
			new SimpleDateFormat(dateFormat); // a bad pattern fails at start, naming itself
		}
	}

	@Bean
	public Supplier<String> time(TimeProperties properties) {
		String pattern = properties.dateFormat();
		return () -> new SimpleDateFormat(pattern).format(new Date());
	}

}
