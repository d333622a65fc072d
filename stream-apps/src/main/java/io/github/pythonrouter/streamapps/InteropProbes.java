package io.github.pythonrouter.streamapps;

import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Map;
import java.util.TimeZone;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.support.MessageBuilder;

/**
 * Small functions for tests/interop, selected like the apps by spring.cloud.function.definition:
 * {@code keyed} writes record N with the key "key-N", the Kafka timestamp 1600000000000 + N seconds and, as the
 * value, that time in the time source's format (UTC), so python-router routes it;
 * {@code text} is a {@code Consumer<String>} that logs what it got; {@code headers} logs each record's
 * payload and every header (byte[] values as UTF-8, line breaks as \n) on one line, for reading python-router's
 * dead letters.
 */
@Configuration(proxyBeanMethods = false)
public class InteropProbes {

	static final long FIRST_TIMESTAMP = 1_600_000_000_000L;

	private static final Log logger = LogFactory.getLog("interop");

	@Bean
	public Supplier<Message<String>> keyed() {
		AtomicLong count = new AtomicLong();
		return () -> {
			long n = count.getAndIncrement();
			long timestamp = FIRST_TIMESTAMP + 1000 * n;
			SimpleDateFormat format = new SimpleDateFormat("MM/dd/yy HH:mm:ss");
			format.setTimeZone(TimeZone.getTimeZone("UTC"));
			return MessageBuilder.withPayload(format.format(new Date(timestamp)))
				.setHeader(KafkaHeaders.KEY, ("key-" + n).getBytes(StandardCharsets.UTF_8))
				.setHeader(KafkaHeaders.TIMESTAMP, timestamp)
				.build();
		};
	}

	@Bean
	public Consumer<String> text() {
		return value -> logger.info("text: " + value);
	}

	@Bean
	public Consumer<Message<byte[]>> headers() {
		return message -> {
			Map<String, String> headers = new TreeMap<>();
			message.getHeaders().forEach((name, value) -> headers.put(name, oneLine(
					value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value))));
			logger.info("headers: payload=" + new String(message.getPayload(), StandardCharsets.UTF_8) + " "
					+ headers);
		};
	}

	private static String oneLine(String value) {
		return value.replace("\r", "\\r").replace("\n", "\\n");
	}

}
