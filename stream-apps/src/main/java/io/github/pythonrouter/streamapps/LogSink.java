package io.github.pythonrouter.streamapps;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.expression.Expression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHeaders;
import org.springframework.messaging.support.MessageBuilder;

/**
 * The log sink ({@code log}): logs {@code log.expression} (SpEL on the message, default {@code payload}) through
 * the logger {@code log.name} at {@code log.level}. A byte[] payload whose contentType is textual (text/*, JSON)
 * or absent is logged as UTF-8 text, as SCDF's prebuilt log sink does; other byte[] payloads are logged as bytes.
 */
@Configuration(proxyBeanMethods = false)
public class LogSink {

	@ConfigurationProperties("log")
	public record LogProperties(String name, String level, String expression) {
		public LogProperties {
			name = name == null ? "log-sink" : name;
			level = level == null ? "INFO" : level.toUpperCase(Locale.ROOT);
			expression = expression == null ? "payload" : expression;
			if (!java.util.Set.of("FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(level)) {
				throw new IllegalArgumentException("log.level=" + level
						+ " is not a log level: use one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE");
			}
		}
	}

	@Bean
	public Consumer<Message<byte[]>> log(LogProperties properties) {
		Log logger = LogFactory.getLog(properties.name());
		Expression expression = new SpelExpressionParser().parseExpression(properties.expression());
		String level = properties.level();
		return message -> {
			Object value = expression.getValue(asText(message));
			switch (level) {
				case "FATAL" -> logger.fatal(value);
				case "ERROR" -> logger.error(value);
				case "WARN" -> logger.warn(value);
				case "DEBUG" -> logger.debug(value);
				case "TRACE" -> logger.trace(value);
				default -> logger.info(value);
			}
		};
	}

	/** The message with its payload as a String when the payload is textual, else unchanged. */
	static Message<?> asText(Message<byte[]> message) {
		Object contentType = message.getHeaders().get(MessageHeaders.CONTENT_TYPE);
		String type = contentType == null ? "" : contentType.toString().replace("\"", "").toLowerCase(Locale.ROOT);
		if (type.isEmpty() || type.startsWith("text/") || type.contains("json")) {
			return MessageBuilder.withPayload(new String(message.getPayload(), StandardCharsets.UTF_8))
				.copyHeaders(message.getHeaders())
				.build();
		}
		return message;
	}

}
