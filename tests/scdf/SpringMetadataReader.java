// Reads Spring configuration metadata JSON with Spring Boot's own reader (the one SCDF uses for an app's
// metadata) and prints what it understood, one tab-separated line per item, for tests/scdf to compare:
//   G <group id> <source types, comma-separated>
//   P <property id> <type> <default value> <value hints, comma-separated> <short description>
// Run: java -cp spring-boot-configuration-metadata.jar SpringMetadataReader.java FILE.json
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.springframework.boot.configurationmetadata.ConfigurationMetadataGroup;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataProperty;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepository;
import org.springframework.boot.configurationmetadata.ConfigurationMetadataRepositoryJsonBuilder;

public class SpringMetadataReader {

	public static void main(String[] args) throws Exception {
		try (InputStream in = new FileInputStream(args[0])) {
			ConfigurationMetadataRepository repository = ConfigurationMetadataRepositoryJsonBuilder.create(in).build();
			for (ConfigurationMetadataGroup group : new TreeMap<>(repository.getAllGroups()).values()) {
				System.out.println("G\t" + group.getId() + "\t" + String.join(",", new TreeMap<>(group.getSources()).keySet()));
			}
			for (ConfigurationMetadataProperty p : new TreeMap<>(repository.getAllProperties()).values()) {
				Object value = p.getDefaultValue();
				String shown = (value instanceof Object[] array) ? Arrays.toString(array) : String.valueOf(value);
				String hints = p.getHints().getValueHints().stream().map(h -> String.valueOf(h.getValue()))
					.collect(Collectors.joining(","));
				System.out.println("P\t" + p.getId() + "\t" + p.getType() + "\t" + shown + "\t" + hints + "\t"
						+ p.getShortDescription());
			}
		}
	}

}
